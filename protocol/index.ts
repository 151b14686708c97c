/** The UI ↔ engine protocol: message types, validation, and the byte-exact text convention. */

export * from "./byte-counter.js";
export * from "./desktop-bridge.js";
export * from "./edit-pieces.js";
export * from "./escaped-text.js";
export * from "./messages.js";
export * from "./validate.js";
