/**
 * How an editor window is made: the security settings of Electron's checklist, on the real
 * options object main.ts passes to BrowserWindow (tests assert on it).
 */
import type { BrowserWindowConstructorOptions } from "electron";

/** The origin the editor page is served from (a custom scheme: no file:// access, no network). */
export const APP_ORIGIN = "gigapad://app";
export const EDITOR_URL = `${APP_ORIGIN}/index.html`;

export function editorWindowOptions(preloadPath: string, title: string): BrowserWindowConstructorOptions {
  return {
    title,
    width: 1200,
    height: 800,
    minWidth: 480,
    minHeight: 320,
    show: false,
    backgroundColor: "#16181d",
    webPreferences: {
      preload: preloadPath,
      // The page runs in its own world, sandboxed, without Node: all it can reach is the
      // preload's narrow bridge.
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      webviewTag: false,
      navigateOnDragDrop: false,
      spellcheck: false,
      safeDialogs: true,
    },
  };
}
