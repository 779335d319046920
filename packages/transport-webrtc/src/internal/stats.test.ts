import { describe, expect, it } from 'vitest';
import { metricsFromStats } from './stats';

function report(entries: Record<string, unknown>[]): RTCStatsReport {
  return new Map(entries.map((e) => [e.id, e])) as unknown as RTCStatsReport;
}

describe('metricsFromStats', () => {
  it('reads RTT from the selected pair and counters from the ICE transport', () => {
    const metrics = metricsFromStats(
      report([
        { id: 'p1', type: 'candidate-pair', currentRoundTripTime: 0.5, bytesSent: 1 },
        { id: 'p2', type: 'candidate-pair', currentRoundTripTime: 0.042, bytesSent: 2 },
        {
          id: 't',
          type: 'transport',
          selectedCandidatePairId: 'p2',
          bytesSent: 100,
          bytesReceived: 200,
          packetsSent: 3,
          packetsReceived: 4,
        },
      ]),
    );
    expect(metrics).toEqual({
      rtt: 42,
      bytesSent: 100,
      bytesReceived: 200,
      packetsSent: 3,
      packetsReceived: 4,
    });
  });

  it('falls back to the nominated pair, then to the data channels', () => {
    expect(
      metricsFromStats(
        report([
          { id: 'x', type: 'candidate-pair', state: 'waiting', currentRoundTripTime: 9 },
          {
            id: 'p',
            type: 'candidate-pair',
            state: 'succeeded',
            nominated: true,
            currentRoundTripTime: 0.01,
            bytesSent: 5,
            bytesReceived: 6,
            packetsSent: 1,
            packetsReceived: 2,
          },
        ]),
      ),
    ).toEqual({ rtt: 10, bytesSent: 5, bytesReceived: 6, packetsSent: 1, packetsReceived: 2 });
    expect(
      metricsFromStats(
        report([
          { id: 'd1', type: 'data-channel', bytesSent: 10, bytesReceived: 1, messagesSent: 2 },
          { id: 'd2', type: 'data-channel', bytesSent: 5, messagesReceived: 7 },
        ]),
      ),
    ).toEqual({ bytesSent: 15, bytesReceived: 1, packetsSent: 2, packetsReceived: 7 });
    expect(metricsFromStats(report([]))).toEqual({});
  });
});
