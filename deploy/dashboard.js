// The CloudWatch dashboard of serverless.yml: the sync's own metrics (Powertools EMF, namespace
// custom.metricsNamespace, dimension service) beside the queues'. Serverless resolves
// `${file(./deploy/dashboard.js):body}`.
"use strict";

module.exports.body = ({ resolveVariable }) =>
  Promise.all([
    resolveVariable("self:provider.region"),
    resolveVariable("self:service"),
    resolveVariable("sls:stage"),
    resolveVariable("self:custom.metricsNamespace"),
  ]).then(([region, service, stage, namespace]) => {
    const metric = (name, stat = "Sum") => [namespace, name, "service", service, { stat }];
    return JSON.stringify({
      widgets: [
        {
          type: "metric",
          width: 12,
          height: 6,
          properties: {
            title: "Sync decisions",
            region,
            metrics: [metric("Synced"), metric("EchoesSkipped"), metric("Conflicts"), metric("Unsyncable"), metric("EditsKept")],
            period: 300,
          },
        },
        {
          type: "metric",
          width: 12,
          height: 6,
          properties: {
            title: "Trouble",
            region,
            metrics: [metric("Retries"), metric("Postponed"), metric("DeadLettered"), metric("WebhookRefused")],
            period: 300,
          },
        },
        {
          type: "metric",
          width: 12,
          height: 6,
          properties: {
            title: "Exact Online calls left today",
            region,
            metrics: [metric("ExactBudgetRemaining", "Minimum")],
            period: 300,
          },
        },
        {
          type: "metric",
          width: 12,
          height: 6,
          properties: {
            title: "Queues",
            region,
            metrics: [
              ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", `${service}-${stage}-events`, { stat: "Maximum" }],
              [
                "AWS/SQS",
                "ApproximateNumberOfMessagesVisible",
                "QueueName",
                `${service}-${stage}-events-dlq`,
                { stat: "Maximum", label: "dead letters" },
              ],
            ],
            period: 60,
          },
        },
      ],
    });
  });
