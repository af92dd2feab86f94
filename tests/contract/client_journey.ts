// A few calls of a staff journey through a client generated from docs/openapi.yaml
// (openapi-typescript for the types, openapi-fetch for the calls), against `kakitome serve`.
// tsc type-checks this file against the generated types first: a path, parameter or field the
// document does not have is a compile error, before anything runs.
//
// Usage: node client_journey.js BASE_URL ADMIN_TOKEN   (exit 0 when every step answered as
// expected; one line per step on stdout)
import createClient from "openapi-fetch";
import type { paths } from "./api.js";

const [baseUrl, adminToken] = process.argv.slice(2);
if (!baseUrl || !adminToken) {
  console.error("usage: node client_journey.js BASE_URL ADMIN_TOKEN");
  process.exit(2);
}

function expect(condition: boolean, step: string, detail: unknown): void {
  if (!condition) {
    console.error(`FAILED ${step}: ${JSON.stringify(detail)}`);
    process.exit(1);
  }
  console.log(`ok ${step}`);
}

function clientFor(token: string) {
  return createClient<paths>({ baseUrl, headers: { Authorization: `Bearer ${token}` } });
}

async function main(): Promise<void> {
  const anonymous = createClient<paths>({ baseUrl });
  const health = await anonymous.GET("/healthz");
  expect(health.response.status === 200 && health.data?.status === "ok", "healthz", health.data);

  const admin = clientFor(adminToken);
  const created = await admin.POST("/v1/tokens", {
    body: { name: "client-operator", role: "operator", display_name: "生成クライアント" },
  });
  expect(created.response.status === 201 && !!created.data?.token, "createToken", created.error);
  const operator = clientFor(created.data!.token);

  const me = await operator.GET("/v1/me");
  expect(me.data?.role === "operator", "getMe", me.data);

  // The worker folds the mails in within a second or so.
  let validated: string | undefined;
  for (let attempt = 0; attempt < 100 && !validated; ++attempt) {
    const queue = await operator.GET("/v1/queue", { params: { query: { limit: 100 } } });
    validated = queue.data?.items?.find((row) => row.state === "validated")?.application;
    if (!validated) await new Promise((resolve) => setTimeout(resolve, 100));
  }
  expect(!!validated, "listQueue", validated);

  const application = await operator.GET("/v1/applications/{id}", {
    params: { path: { id: validated! } },
  });
  const etag = application.response.headers.get("etag");
  expect(application.response.status === 200 && !!etag, "getApplication", application.error);

  const assigned = await operator.POST("/v1/applications/{id}/commands/{name}", {
    params: { path: { id: validated!, name: "assign" }, header: { "If-Match": etag! } },
    body: { assignee: "client-operator" },
  });
  expect(assigned.response.status === 200, "runCommand assign", assigned.error);

  const stale = await operator.POST("/v1/applications/{id}/commands/{name}", {
    params: { path: { id: validated!, name: "approve" }, header: { "If-Match": etag! } },
    body: {},
  });
  expect(stale.response.status === 412 && !!stale.error, "runCommand approve (stale)", stale.data);

  const approved = await operator.POST("/v1/applications/{id}/commands/{name}", {
    params: {
      path: { id: validated!, name: "approve" },
      header: { "If-Match": assigned.response.headers.get("etag")! },
    },
    body: {},
  });
  expect(approved.data?.state === "url_issued", "runCommand approve", approved.error);
}

main().catch((error) => {
  console.error(`FAILED: ${error}`);
  process.exit(1);
});
