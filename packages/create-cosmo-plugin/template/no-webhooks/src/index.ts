import { definePlugin } from "@cosmo/core";

/**
 * {{pluginName}}: the host calls setup(ctx) once when it loads the plugin, and teardown() when
 * it unloads it. It serves no routes (cosmo.json's requires_webhooks is false).
 */
export default definePlugin({
  setup(ctx) {
    ctx.logger.info("ready");
    // Stop work here when the host unloads the plugin.
    ctx.signal.addEventListener("abort", () => ctx.logger.info("stopping"));
  },
});
