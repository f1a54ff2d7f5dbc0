import { definePlugin } from "@cosmo/core";

/**
 * {{pluginName}}: the host calls setup(ctx) once when it loads the plugin, and teardown() when
 * it unloads it. Routes registered with ctx.route are served under cosmo.json's webhook_prefix.
 */
export default definePlugin({
  setup(ctx) {
    // POST {{prefix}}/hello with a JSON body: answers with what it received.
    ctx.route("POST", "/hello", async (request) => {
      // A body that is not JSON is not an error here: the route answers with null.
      const received: unknown = await request.json().catch(() => null);
      ctx.logger.info("hello", received);
      return { plugin: ctx.name, received };
    });
  },
});
