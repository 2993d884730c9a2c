/**
 * `webhooks/WebhookSubscriptions`: list, subscribe (after the callback's validation POST),
 * unsubscribe. A subscribe answers like any POST: nulls but the ID, unless
 * `Prefer: return=representation`.
 */
import { sendEmpty, sendJson } from "#lib/sandbox/common/http";
import type { Router } from "#lib/sandbox/common/http";
import { apiRoute, keyParam, readJsonBody } from "./api-guard";
import type { ExactApp } from "./api-guard";
import { WEBHOOK_SUBSCRIPTION } from "./entities";
import { ExactApiError, FunctionalRefusal } from "./errors";
import type { Row } from "./model";
import { queryCollection } from "./odata-query";
import { serializeRecord, thinRecord, wantsRepresentation } from "./serialize";
import { parseWriteBody } from "./write-body";

const PATH = "webhooks/WebhookSubscriptions";

export function mountWebhookRoutes(router: Router, app: ExactApp): void {
  const collection = `/api/v1/:division/${PATH}`;
  const single = `${collection}(guid':id')`;
  const uriOf = (origin: string) => (record: Row) => `${origin}/api/v1/${app.division}/${PATH}(guid'${String(record.ID)}')`;

  router.add(
    "GET",
    collection,
    apiRoute(app, (_req, res, call) => {
      const records = app.webhooks.list(call.grant.clientId);
      sendJson(
        res,
        200,
        queryCollection({
          records,
          entity: WEBHOOK_SUBSCRIPTION,
          url: call.url,
          mode: "ordinary",
          uriOf: uriOf(call.url.origin),
          format: app.format,
        }),
      );
    }),
  );
  router.add(
    "POST",
    collection,
    apiRoute(app, async (req, res, call) => {
      const fields = Object.fromEntries(parseWriteBody(await readJsonBody(req), WEBHOOK_SUBSCRIPTION));
      if (typeof fields.CallbackURL !== "string" || fields.CallbackURL === "") throw FunctionalRefusal.mandatory("CallbackURL");
      if (typeof fields.Topic !== "string" || fields.Topic === "") throw FunctionalRefusal.mandatory("Topic");
      if (fields.IsInstant === true) {
        throw new ExactApiError(400, "IsInstant: instant delivery is only supported for the topic 'GoodsDeliveries'.");
      }
      const description = typeof fields.Description === "string" ? fields.Description : null;
      const subscription = await app.webhooks.subscribe(call.grant.clientId, fields.CallbackURL, fields.Topic, description);
      const uri = uriOf(call.url.origin)(subscription);
      const d = wantsRepresentation(req.headers.prefer)
        ? serializeRecord(subscription, WEBHOOK_SUBSCRIPTION, uri, app.format)
        : thinRecord(subscription, WEBHOOK_SUBSCRIPTION, uri, app.format);
      sendJson(res, 201, { d }, { Location: uri });
    }),
  );
  router.add(
    "DELETE",
    single,
    apiRoute(app, (_req, res, call) => {
      const subscription = app.webhooks.get(call.grant.clientId, keyParam(call));
      if (!subscription) throw new ExactApiError(404, "Not found: the record does not exist.");
      app.webhooks.unsubscribe(subscription.ID);
      sendEmpty(res, 204);
    }),
  );
}
