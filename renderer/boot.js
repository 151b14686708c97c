// Runs before the editor's bundle is even parsed: opens the WebSocket to `gigapad serve` so its
// handshake overlaps the download and start-up of the bundle (main.ts adopts it). In the desktop
// app the preload's bridge is there instead, and this does nothing.
if (!window.gigapadDesktop) {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  // The tab's file, as renderer/open-dialog.ts's socketUrl names it (none: the served file).
  const file = new URLSearchParams(location.search).get("file");
  const query = file ? `?file=${encodeURIComponent(file)}` : "";
  window.gigapadEarlySocket = new WebSocket(`${scheme}://${location.host}/ws${query}`);
}
