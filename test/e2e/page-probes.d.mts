// Types of page-probes.mjs (functions evaluated inside the editor page).
export function visibleLinesProbe(): { number: string; text: string }[];
export function statusProbe(): Record<string, string>;
export function messagesProbe(): string[];
export function selectedTextProbe(): string;
export function firstLinesLayoutProbe(selectors: [string, string]): {
  line: number[];
  number: number[];
  texts: string[];
  numbers: string[];
};
export function recordFramesProbe(frames: number, visibleLines: () => { number: string }[]): void;
export function characterOnScreenProbe(offset: number): boolean | null;
