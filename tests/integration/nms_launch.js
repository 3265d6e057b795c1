// Starts node-media-server for the integration tests (nms.py): node nms_launch.js PACKAGE CONFIG
//
// Like the package's bin/app.js, but with the configuration as given (nothing generated or
// written back) and the RTMP listener opened last: NodeMediaServer.run() opens it first and
// subscribes the record server only once its store has loaded, so a publisher that connects
// at once (one reconnecting to a restarted server) would not be recorded.
"use strict";

const fs = require("fs");

async function main() {
  const [pkg, configPath] = process.argv.slice(2);
  const NodeMediaServer = require(pkg);
  const config = JSON.parse(fs.readFileSync(configPath, "utf8"));
  const nms = new NodeMediaServer(config, configPath);
  const rtmp = nms.rtmpServer;
  const listen = rtmp.run.bind(rtmp);
  rtmp.run = () => {};
  await nms.run();
  listen();
  const stop = () => nms.stop().finally(() => process.exit(0));
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
