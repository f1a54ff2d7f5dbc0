// A plugin written as a class: the host constructs it with no arguments, then calls setup(ctx).
export class ClockPlugin {
  startedAt = 0;

  setup(ctx) {
    this.startedAt = Date.now();
    // GET /clock/now
    ctx.route("GET", "/now", () => ({ now: new Date().toISOString(), uptime_ms: Date.now() - this.startedAt }));
  }

  teardown() {
    console.log("[clock] teardown");
  }
}
