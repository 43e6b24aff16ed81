// A citizen's flow through a client generated from GET /v1/openapi.json (openapi-typescript types,
// openapi-fetch calls), compiled with tsc --strict: register, verify, log in, availability, book,
// cancel, and a residence-permit renewal. No hand-written type: every shape comes from the document.
// Run by tests/blackbox/test_20_generated_clients.py with BASE, NAME, ID_NUMBER, PHONE, PERMIT, TODAY.
import createClient from "openapi-fetch";
import type { components, paths } from "./schema";

const env = process.env as Record<string, string>;
const base = env.BASE;
const client = createClient<paths>({ baseUrl: base });

function fail(step: string, what: unknown): never {
  console.error(JSON.stringify({ step, what }));
  process.exit(1);
}

function addDays(day: string, days: number): string {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

async function smsCode(phone: string): Promise<string> {
  // local mode only (not in the document): the SMS that would have gone out
  for (let i = 0; i < 300; i++) {
    const messages = (await (await fetch(`${base}/local/sms?phone=${phone}`)).json()) as { message: string }[];
    for (const m of messages) {
      const found = /(\d{6})/.exec(m.message);
      if (found) return found[1];
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return fail("sms", phone);
}

async function main(): Promise<void> {
  const account: components["schemas"]["RegisterIn"] = {
    name: env.NAME,
    id_number: env.ID_NUMBER,
    phone: env.PHONE,
    password: "abc12345",
  };
  const registered = await client.POST("/v1/accounts", { body: account });
  if (registered.error) fail("register", registered.error);
  const verified = await client.POST("/v1/accounts/verify", {
    body: { id_number: account.id_number, code: await smsCode(account.phone) },
  });
  if (verified.error) fail("verify", verified.error);
  const session = await client.POST("/v1/sessions", { body: { login: account.phone, password: account.password } });
  if (session.error) fail("login", session.error);
  const auth = { Authorization: `Bearer ${session.data.token}` };

  const services = await client.GET("/v1/services");
  if (services.error) fail("services", services.error);
  if (!services.data.services.some((s) => s.code === "ID_RENEW")) fail("services", "no ID_RENEW");

  const office = "gz-tianhe-centre";
  const from = addDays(env.TODAY, 2); // after tomorrow: cancellable until 18:00 the day before
  const availability = await client.GET("/v1/offices/{office_id}/availability", {
    params: { path: { office_id: office }, query: { service: "ID_RENEW", from } },
  });
  if (availability.error) fail("availability", availability.error);
  let choice: { date: string; start: string } | undefined;
  for (const day of availability.data.days) {
    const slot = day.slots.find((s) => s.remaining > 0);
    if (slot) {
      choice = { date: day.date, start: slot.start };
      break;
    }
  }
  if (!choice) fail("availability", "no free slot");

  const booked = await client.POST("/v1/bookings", {
    params: { header: { "Idempotency-Key": `ts-${env.ID_NUMBER}` } },
    headers: auth,
    body: { office_id: office, service_code: "ID_RENEW", date: choice.date, start: choice.start, notice_acknowledged: true },
  });
  if (booked.error) fail("book", booked.error);
  const booking: components["schemas"]["BookingOut"] = booked.data;
  if (booking.status !== "booked") fail("book", booking);

  const cancelled = await client.POST("/v1/bookings/{booking_id}/cancel", {
    params: { path: { booking_id: booking.booking_id } },
    headers: auth,
  });
  if (cancelled.error) fail("cancel", cancelled.error);
  if (cancelled.data.status !== "cancelled") fail("cancel", cancelled.data);

  // a refusal is typed problem+json: its stable code
  const again = await client.POST("/v1/bookings/{booking_id}/cancel", {
    params: { path: { booking_id: booking.booking_id } },
    headers: auth,
  });
  if (!again.error || again.error.code !== "NOT_CANCELLABLE") fail("cancel twice", again);

  // R17: an administrator registers the citizen's permit; the citizen applies for its renewal
  const admin = await client.POST("/v1/sessions", { body: { login: "admin", password: "local-admin-pass" } });
  if (admin.error) fail("admin login", admin.error);
  const permit = await client.PUT("/v1/permits/{number}", {
    params: { path: { number: env.PERMIT } },
    headers: { Authorization: `Bearer ${admin.data.token}` },
    body: {
      holder_id_number: account.id_number,
      office_id: "hk-longhua-jinmao-ps",
      address: "海口市龙华区金贸西路20号",
      valid_until: addDays(env.TODAY, 20),
    },
  });
  if (permit.error) fail("permit", permit.error);
  const applied = await client.POST("/v1/applications", {
    headers: auth,
    body: { kind: "renewal", permit_number: env.PERMIT },
  });
  if (applied.error) fail("apply", applied.error);
  if (applied.data.state !== "draft" || applied.data.kind !== "renewal") fail("apply", applied.data);

  console.log(JSON.stringify({ booking: booking.reference, application: applied.data.reference }));
}

main().catch((e: unknown) => fail("exception", String(e)));
