// Benchmarks side by side with rollback-netcode@0.0.6. Sections are added per package.
console.log('rbn bench: no benchmarks yet');
