/**
 * Smoke test of the generated client against a running API: sign up a fresh user, verify the
 * e-mail address, sign in, read /v1/me and discover nearby jobs. Exits non-zero on any
 * unexpected status.
 *
 *   GETMYGRAPHER_BASE_URL   the API, e.g. http://127.0.0.1:8000
 *   GETMYGRAPHER_TOKEN_URL  where the verification token is fetched from: GET ?email=… answers
 *                           200 with {"token": "…"} once the mail has arrived, 404 until then
 *                           (the test suite serves it from its fake mailbox)
 *   GETMYGRAPHER_EMAIL      optional: the address to sign up (default: a fresh one)
 *
 * Node 20 cannot run TypeScript: compile first (`tsc -p . --noEmit false --outDir …`).
 */
import { createGetMyGrapherClient } from "./index.js";

function env(name: string): string {
  const value = process.env[name];
  if (!value) {
    throw new Error(`${name} is not set`);
  }
  return value;
}

function expectStatus(step: string, response: Response, expected: number, body: unknown): void {
  if (response.status !== expected) {
    throw new Error(
      `${step}: expected ${expected}, got ${response.status}: ${JSON.stringify(body)}`,
    );
  }
  console.log(`ok ${step} (${response.status})`);
}

async function verificationToken(tokenUrl: string, email: string): Promise<string> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const url = new URL(tokenUrl);
    url.searchParams.set("email", email);
    const response = await fetch(url);
    if (response.status === 200) {
      const { token } = (await response.json()) as { token: string };
      return token;
    }
    if (response.status !== 404) {
      throw new Error(`token helper answered ${response.status}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`no verification mail reached ${email} within 30 s`);
}

async function main(): Promise<void> {
  const baseUrl = env("GETMYGRAPHER_BASE_URL");
  const tokenUrl = env("GETMYGRAPHER_TOKEN_URL");
  const suffix = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
  const email = process.env["GETMYGRAPHER_EMAIL"] ?? `smoke.${suffix}@example.in`;
  const password = `smoke-pass-${suffix}`;

  let accessToken: string | undefined;
  const api = createGetMyGrapherClient(baseUrl, { token: () => accessToken });

  const signup = await api.POST("/v1/auth/signup", {
    body: { email, password, full_name: "Smoke Menon" },
  });
  expectStatus("sign up", signup.response, 202, signup.data ?? signup.error);

  const verified = await api.POST("/v1/auth/verify-email", {
    body: { token: await verificationToken(tokenUrl, email) },
  });
  expectStatus("verify e-mail", verified.response, 200, verified.data ?? verified.error);

  const login = await api.POST("/v1/auth/login", { body: { email, password } });
  expectStatus("sign in", login.response, 200, login.data ?? login.error);
  if (!login.data || !("access_token" in login.data)) {
    throw new Error(`sign in: no token pair: ${JSON.stringify(login.data)}`);
  }
  accessToken = login.data.access_token;

  const me = await api.GET("/v1/me");
  expectStatus("me", me.response, 200, me.data ?? me.error);
  if (!me.data || me.data.email !== email || !me.data.email_verified) {
    throw new Error(`me: not the verified account just made: ${JSON.stringify(me.data)}`);
  }

  // Kochi, 25 km around.
  const nearby = await api.GET("/v1/jobs", {
    params: { query: { lat: 9.9312, lng: 76.2673, radius_km: 25, sort: "distance", limit: 10 } },
  });
  expectStatus("discover nearby jobs", nearby.response, 200, nearby.data ?? nearby.error);
  if (!nearby.data || !Array.isArray(nearby.data.items)) {
    throw new Error(`discover: no page: ${JSON.stringify(nearby.data)}`);
  }
  console.log(
    `ok ${nearby.data.items.length} jobs within ${nearby.data.radius_km_applied} km of ` +
      `(${nearby.data.centre.lat}, ${nearby.data.centre.lng}, ${nearby.data.centre.source})`,
  );
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(`smoke failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
