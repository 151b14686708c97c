/**
 * The host's content versions and queue of changes (host/change-queue.ts): changes run one at a
 * time in arrival order, a failed one does not block the next, a change against an old version is
 * refused (ESTALE), and once closed nothing more runs (ECLOSED).
 */
import { describe, expect, it } from "vitest";
import { ChangeQueue } from "../../host/change-queue.js";

const tick = () => new Promise((resolve) => setTimeout(resolve, 1));

describe("ChangeQueue", () => {
  it("runs changes one after another, in arrival order, even when an earlier one awaits", async () => {
    const queue = new ChangeQueue(() => "/doc.log");
    const order: string[] = [];
    const slow = queue.run(async () => {
      order.push("slow starts");
      await tick();
      order.push("slow ends");
      return 1;
    });
    const quick = queue.run(() => {
      order.push("quick");
      return 2;
    });
    expect(await Promise.all([slow, quick])).toEqual([1, 2]);
    expect(order).toEqual(["slow starts", "slow ends", "quick"]);
  });

  it("rejects a change that fails, and runs the next one anyway", async () => {
    const queue = new ChangeQueue(() => "/doc.log");
    const failing = queue.run(() => {
      throw new Error("boom");
    });
    const next = queue.run(() => "ran");
    await expect(failing).rejects.toThrow("boom");
    expect(await next).toBe("ran");
  });

  it("numbers versions, and refuses a change made against another one (ESTALE)", () => {
    const queue = new ChangeQueue(() => "/doc.log");
    expect(queue.version).toBe(0);
    expect(() => queue.checkBase(0)).not.toThrow();
    expect(queue.nextVersion()).toBe(1);
    expect(queue.version).toBe(1);
    expect(() => queue.checkBase(0)).toThrow(
      expect.objectContaining({ code: "ESTALE", message: expect.stringMatching(/version 0.*version 1/) }),
    );
  });

  it("once closed, refuses what is queued and what comes (ECLOSED, naming the document)", async () => {
    let path = "/old.log";
    const queue = new ChangeQueue(() => path);
    const ran: string[] = [];
    const running = queue.run(async () => {
      await tick();
      ran.push("running");
    });
    const queued = queue.run(() => ran.push("queued"));
    await Promise.resolve(); // the first has begun
    path = "/new.log"; // saved elsewhere meanwhile: the message names where it is now
    queue.close();
    expect(queue.closed).toBe(true);
    const refused = expect(queued).rejects.toMatchObject({ code: "ECLOSED", message: "/new.log was closed" });
    await running;
    await refused;
    await expect(queue.run(() => ran.push("later"))).rejects.toMatchObject({ code: "ECLOSED" });
    expect(() => queue.throwIfClosed()).toThrow(expect.objectContaining({ code: "ECLOSED" }));
    expect(ran).toEqual(["running"]);
  });

  it("idle() resolves, never rejects, once what was queued has run", async () => {
    const queue = new ChangeQueue(() => "/doc.log");
    let done = false;
    void queue.run(async () => {
      await tick();
      done = true;
    });
    queue.run(() => Promise.reject(new Error("failed"))).catch(() => {});
    await queue.idle();
    expect(done).toBe(true);
  });
});
