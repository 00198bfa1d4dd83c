// Starts fauxqs (SQS + SNS emulator) on loopback only; its own CLI listens on 0.0.0.0.
// devstack.sh passes the installed module's path, since the package lives in the cache.
const mod = await import(process.env.FAUXQS_MODULE);
const port = Number(process.env.FAUXQS_PORT || 4566);
const server = await mod.startFauxqs({ port, host: "127.0.0.1", logger: false });
console.log(`fauxqs listening on 127.0.0.1:${server.port}`);
const stop = async () => { await server.stop(); process.exit(0); };
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
