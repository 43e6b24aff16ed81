"""Notifications (R16) - filled in by the notifier work; see hallbook.services.notify."""
from hallbook.web.app import logger


@logger.inject_lambda_context
def lambda_handler(event, context):
    return {"batchItemFailures": []}
