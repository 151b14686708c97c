/**
 * The editor's own right-click menu: cut, copy, paste, find the selection, go to a line. The
 * browser's menu would offer what it knows of the window (CodeMirror's few MB), not the file.
 */

export interface MenuEntry {
  label: string;
  /** The keys shown beside it. */
  keys?: string;
  enabled?: boolean;
  run(): void;
}

export class ContextMenu {
  private readonly element: HTMLElement;

  constructor(root: HTMLElement) {
    this.element = document.createElement("div");
    this.element.className = "gp-context-menu";
    this.element.setAttribute("role", "menu");
    this.element.hidden = true;
    root.append(this.element);
    const close = (event: Event) => {
      if (!this.element.hidden && !this.element.contains(event.target as Node)) this.hide();
    };
    document.addEventListener("pointerdown", close, true);
    document.addEventListener(
      "keydown",
      (event) => {
        if (event.key === "Escape" && !this.element.hidden) {
          event.preventDefault();
          event.stopPropagation();
          this.hide();
        }
      },
      true,
    );
    window.addEventListener("blur", () => this.hide());
  }

  get isOpen(): boolean {
    return !this.element.hidden;
  }

  /** Shows `entries` at the pointer (kept inside the window); `above` puts its bottom at y. */
  show(x: number, y: number, entries: MenuEntry[], { above = false }: { above?: boolean } = {}): void {
    const buttons = entries.map((entry) => {
      const button = document.createElement("button");
      button.type = "button";
      button.setAttribute("role", "menuitem");
      button.disabled = entry.enabled === false;
      const label = document.createElement("span");
      label.textContent = entry.label;
      const keys = document.createElement("kbd");
      keys.textContent = entry.keys ?? "";
      button.append(label, keys);
      button.addEventListener("click", () => {
        this.hide();
        entry.run();
      });
      return button;
    });
    this.element.replaceChildren(...buttons);
    this.element.hidden = false;
    const { width, height } = this.element.getBoundingClientRect();
    this.element.style.left = `${Math.max(0, Math.min(x, window.innerWidth - width - 4))}px`;
    const top = above ? y - height - 2 : y;
    this.element.style.top = `${Math.max(0, Math.min(top, window.innerHeight - height - 4))}px`;
    buttons.find((button) => !button.disabled)?.focus();
  }

  hide(): void {
    this.element.hidden = true;
  }
}
