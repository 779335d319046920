import type { ConnectionMetrics } from '@rbn/protocol';

type StatsEntry = Record<string, unknown> & { type?: unknown; id?: unknown };

function num(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/**
 * Reduces a peer connection's stats report to {@link ConnectionMetrics}: the round-trip time of
 * the selected ICE candidate pair, and bytes and packets of the ICE transport (falling back to
 * the selected pair, then to the sum of the data channels, on stacks that report less).
 * @param report - The report from `RTCPeerConnection.getStats()`.
 * @returns The metrics; fields the stack did not report are absent.
 */
export function metricsFromStats(report: RTCStatsReport): ConnectionMetrics {
  const entries: StatsEntry[] = [];
  report.forEach((value: unknown) => {
    if (typeof value === 'object' && value !== null) entries.push(value as StatsEntry);
  });
  const byId = new Map<unknown, StatsEntry>();
  for (const entry of entries) byId.set(entry.id, entry);

  const transport = entries.find(
    (e) => e.type === 'transport' && typeof e.selectedCandidatePairId === 'string',
  );
  const pair =
    (transport ? byId.get(transport.selectedCandidatePairId) : undefined) ??
    entries.find(
      (e) =>
        e.type === 'candidate-pair' &&
        (e.selected === true || (e.nominated === true && e.state === 'succeeded')),
    );

  const metrics: ConnectionMetrics = {};
  const rttSeconds = num(pair?.currentRoundTripTime);
  if (rttSeconds !== undefined) metrics.rtt = rttSeconds * 1000;

  const source = transport ?? pair;
  const bytesSent = num(source?.bytesSent);
  const bytesReceived = num(source?.bytesReceived);
  const packetsSent = num(source?.packetsSent) ?? num(pair?.packetsSent);
  const packetsReceived = num(source?.packetsReceived) ?? num(pair?.packetsReceived);
  if (bytesSent !== undefined) metrics.bytesSent = bytesSent;
  if (bytesReceived !== undefined) metrics.bytesReceived = bytesReceived;
  if (packetsSent !== undefined) metrics.packetsSent = packetsSent;
  if (packetsReceived !== undefined) metrics.packetsReceived = packetsReceived;

  if (bytesSent === undefined && bytesReceived === undefined) {
    // Stacks without transport or pair counters: sum what the data channels report.
    let sent = 0;
    let received = 0;
    let messagesSent = 0;
    let messagesReceived = 0;
    let any = false;
    for (const e of entries) {
      if (e.type !== 'data-channel') continue;
      any = true;
      sent += num(e.bytesSent) ?? 0;
      received += num(e.bytesReceived) ?? 0;
      messagesSent += num(e.messagesSent) ?? 0;
      messagesReceived += num(e.messagesReceived) ?? 0;
    }
    if (any) {
      metrics.bytesSent = sent;
      metrics.bytesReceived = received;
      metrics.packetsSent ??= messagesSent;
      metrics.packetsReceived ??= messagesReceived;
    }
  }
  return metrics;
}
