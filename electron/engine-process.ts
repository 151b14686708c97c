/**
 * The engine process of the desktop app (an Electron utilityProcess): the native addon and every
 * open document live here, never in a window. The main process sends commands (engine-commands.ts)
 * and hands over each window's MessagePort; the window then talks the editor protocol directly.
 */
import { EngineHost } from "../host/engine-host.js";
import type { PortLike } from "../host/port-channel.js";
import { type EngineCommand, runEngineCommand } from "./engine-commands.js";

const parentPort = process.parentPort;
if (!parentPort) {
  console.error("gigapad: engine-process.js runs inside the desktop app (an Electron utility process)");
  process.exit(2);
}

const engine = new EngineHost();

parentPort.on("message", (event) => {
  const command = event.data as EngineCommand;
  void runEngineCommand(engine, command, event.ports as unknown as PortLike[]).then((reply) => {
    parentPort.postMessage(reply);
    if (command.type === "quit") process.exit(0);
  });
});
