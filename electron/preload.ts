/**
 * The preload script of every editor window (sandboxed: bundled to one CommonJS file that
 * requires only "electron"). It exposes the desktop bridge and nothing more.
 */
import { contextBridge, ipcRenderer, webUtils } from "electron";
import type { IpcRendererLike } from "./desktop-bridge.js";
import { exposeDesktopBridge } from "./desktop-bridge.js";

exposeDesktopBridge({ contextBridge, ipcRenderer: ipcRenderer as unknown as IpcRendererLike, webUtils });
