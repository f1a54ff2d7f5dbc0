// A plugin written as an object with definePlugin. It imports the host's own @cosmo/core:
// Node resolves it from this directory upwards, to the copy the host uses.
import { definePlugin } from "@cosmo/core";

export default definePlugin({
  setup(ctx) {
    const greeting = typeof ctx.config.greeting === "string" ? ctx.config.greeting : "Hello";

    // GET /greeter/hello/:name
    ctx.route("GET", "/hello/:name", async (_request, { params }) => {
      // ctx.storage is this plugin's own namespace of the host's storage.
      const count = ((await ctx.storage.getItem("count")) ?? 0) + 1;
      await ctx.storage.setItem("count", count);
      return { message: `${greeting}, ${params.name}!`, count };
    });

    // POST /greeter/echo: any web-standard Response works too.
    ctx.route("POST", "/echo", async (request) => new Response(await request.text(), { headers: { "content-type": "text/plain" } }));

    ctx.logger.info("ready");
  },
  teardown() {
    // Runs on shutdown; the host waits for it before exiting.
    console.log("[greeter] teardown");
  },
});
