import { mkdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Readable } from "node:stream";
import { createError } from "@cosmo/core";
import { getRouterParam, noContent, readValidatedBody, type H3, type H3Event } from "h3";
import type { z } from "zod";
import { createPluginBody, reloadBody, rpcBody, upgradeBody } from "../api/schemas";
import { jsonResponse } from "../http/errors";
import { JSON_BODY, jsonBody, optionalJsonBody } from "../http/json-body";
import { progressStream, wantsEventStream } from "../http/sse";
import type { PluginOperations } from "../api/operations";
import { addPluginRecord } from "../operations/add";
import { importFilePath, sweepImportFiles } from "../operations/import-file";
import { silentProgress, type ProgressReporter } from "../operations/progress";
import type { PluginRecord, PluginStore } from "../store/types";

/** What the plugin routes need. */
export interface PluginRoutesOptions {
  store: PluginStore;
  /** Where an uploaded offline bundle is written while it is imported (the data dir). */
  dataDir?: string;
  operations?: Partial<PluginOperations>;
  /** The error response for what an operation threw (the app's error handler); streams send its body as their `error` event. */
  toErrorResponse: (error: unknown, event: H3Event) => Response;
}

// Both spellings answer: the original API writes `/plugins/`, most clients send `/plugins`.
const both = (path: string) => [path, `${path}/`];

/**
 * Registers the CRUD routes on `/plugins` and, for each operation given, its RPC route. The
 * static paths (installed, report, apply) are registered before `/plugins/:id`; rou3 prefers a
 * static segment over a parameter anyway, so `GET /plugins/installed` never reads as an id.
 */
export function registerPluginRoutes(app: H3, { store, dataDir, operations = {}, toErrorResponse }: PluginRoutesOptions): void {
  const record = async (event: H3Event): Promise<PluginRecord> => {
    const id = getRouterParam(event, "id") ?? "";
    const found = await store.get(id);
    if (!found) throw createError("COSMO_E_RECORD_NOT_FOUND", { id });
    return found;
  };

  // The long work answers as JSON, or as server-sent progress when the client asks (sse.ts).
  const answer = (event: H3Event, work: (report: ProgressReporter) => Promise<unknown>) =>
    wantsEventStream(event) ? progressStream(work, (error) => toErrorResponse(error, event)) : work(silentProgress);

  const { install, uninstall, remove, apply, installed, report, exportBundle, upgrade, outdated, reload } = operations;
  if (installed) app.get("/plugins/installed", () => installed());
  if (outdated) app.get("/plugins/outdated", () => outdated());
  if (report) app.get("/plugins/report", () => report());
  // The offline bundle as a download; POST because making it reads every tarball (and may fetch).
  if (exportBundle) {
    app.post("/plugins/export", async () => {
      const stream = await exportBundle();
      const name = `cosmo-plugins-${new Date().toISOString().slice(0, 10)}.tgz`;
      return new Response(Readable.toWeb(Readable.from(stream)) as ReadableStream, {
        status: 200,
        headers: { "content-type": "application/gzip", "content-disposition": `attachment; filename="${name}"` },
      });
    });
  }
  // The offline bundle as the body (application/gzip, up to IMPORT_BODY_LIMIT): kept in a file
  // of the data dir while it is imported, removed after, whatever happened.
  const { importBundle } = operations;
  if (importBundle) {
    app.post("/plugins/import", async (event) => {
      const bytes = new Uint8Array(await event.req.arrayBuffer());
      if (bytes.byteLength === 0) throw createError("COSMO_E_IMPORT_INVALID", { file: "(request body)", reason: "the body is empty; send the .tgz that `cosmo-runner export` wrote" });
      const root = dataDir ?? ".";
      await mkdir(join(root, "plugins"), { recursive: true });
      // What an import cut short by a kill left behind goes first (see import-file.ts).
      await sweepImportFiles(root);
      const file = importFilePath(root);
      await writeFile(file, bytes);
      try {
        return await importBundle(file);
      } finally {
        await rm(file, { force: true });
      }
    });
  }
  if (apply) app.post("/plugins/apply", (event) => answer(event, (progress) => apply(progress)));
  // Reload onto whatever `<dataDir>/bundle` points at now: what a `cosmo-runner sync` run in
  // another process needs to make the running runner serve its result. A bare POST reloads
  // without rollback.
  if (reload) {
    app.post("/plugins/reload", async (event) => {
      const body = await readValidatedBody(event, optionalJsonBody(reloadBody, {}), JSON_BODY);
      return jsonResponse(await reload({ ...body, reason: "POST /plugins/reload" }));
    });
  }
  // With `{ apply: true }` the answer is the record plus `apply` (what apply returned); the
  // record is changed first, so a failed apply still leaves it installed (or uninstalled). On a
  // conflict nothing changed and the 409 explains; the record stays as it was.
  const rpc =
    <S extends z.ZodType<{ apply?: boolean }>>(schema: S, run: (r: PluginRecord, body: z.output<S>, progress: ProgressReporter) => Promise<PluginRecord>) =>
    async (event: H3Event) => {
      const found = await record(event);
      const body = await readValidatedBody(event, optionalJsonBody(schema, {} as z.output<S>), JSON_BODY);
      if (body.apply && !apply) throw createError("COSMO_E_RELOAD_UNAVAILABLE", { reason: "this server has no apply operation" });
      return answer(event, async (progress) => {
        const updated = await run(found, body, progress);
        return body.apply && apply ? { ...updated, apply: await apply(progress) } : updated;
      });
    };
  // Enable/disable answer the record plus `enabled`, `package`, the entry set aside and, with
  // `{ apply: true }`, the reload that made it take effect.
  const toggle = (run: PluginOperations["enable"]) => async (event: H3Event) => {
    const found = await record(event);
    const { apply: andApply } = await readValidatedBody(event, optionalJsonBody(rpcBody, {}), JSON_BODY);
    return run(found, { apply: andApply === true });
  };
  if (operations.disable) app.post("/plugins/:id/disable", toggle(operations.disable));
  if (operations.enable) app.post("/plugins/:id/enable", toggle(operations.enable));
  if (install) app.post("/plugins/:id/install", rpc(rpcBody, (r, _body, progress) => install(r, progress)));
  if (uninstall) app.post("/plugins/:id/uninstall", rpc(rpcBody, (r, _body, progress) => uninstall(r, progress)));
  if (upgrade) app.post("/plugins/:id/upgrade", rpc(upgradeBody, (r, { version }, progress) => upgrade(r, { version }, progress)));

  for (const path of both("/plugins")) {
    app.get(path, async () => {
      const plugins = await store.list();
      return { plugins: operations.describe ? await operations.describe(plugins) : plugins };
    });
    app.post(path, async (event) => {
      const { source } = await readValidatedBody(event, jsonBody(createPluginBody), JSON_BODY);
      // A source npm cannot parse is refused here (422) rather than recorded to fail at install.
      const created = await addPluginRecord(store, source);
      return jsonResponse(created, 201, { location: `/plugins/${created.id}` });
    });
  }

  app.get("/plugins/:id", async (event) => {
    const found = await record(event);
    return operations.describe ? (await operations.describe([found]))[0] : found;
  });

  // 204 and no body: the client named the record and, on success, it is gone. The record leaves
  // the set in the same step (one critical section), so deleting never leaves a plugin in the
  // set without a row, however an install of it races the delete.
  app.delete("/plugins/:id", async (event) => {
    const found = await record(event);
    if (remove) await remove(found);
    else {
      if (uninstall && found.install_status === "installed") await uninstall(found);
      await store.remove(found.id);
    }
    return noContent();
  });
}
