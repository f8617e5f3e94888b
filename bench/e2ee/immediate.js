// fake-relay.js schedules with setImmediate, which browsers lack. A MessageChannel post is a macrotask that runs
// as soon as the event loop turns, in FIFO order; setTimeout(0) would be clamped to 4 ms once nested and would
// add that to every simulated network hop.
(() => {
  const queue = [];
  const channel = new MessageChannel();
  channel.port1.onmessage = () => {
    const f = queue.shift();
    if (f) f();
  };
  globalThis.setImmediate = (f, ...args) => {
    queue.push(() => f(...args));
    channel.port2.postMessage(0);
  };
})();
