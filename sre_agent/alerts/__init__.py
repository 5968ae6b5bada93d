"""Alert inputs for ``--alert``: ITBench-Lite dumps, Alertmanager webhooks, Prometheus and
Alertmanager API responses, or a scenario's ``alerts/`` folder (dumps merged).

>>> from sre_agent.alerts import parse_alert_payload
>>> parse_alert_payload({"version": "4", "status": "firing", "receiver": "r", "alerts": []})
([], 'alertmanager-webhook')
"""

from .formats import FORMATS, AlertFormatError, alert_from_dict, parse_alert_payload
from .load import MAX_BYTES, AlertInput, load_alert_input, merge_alerts, read_alert_file

__all__ = [
    "AlertInput", "AlertFormatError", "FORMATS", "MAX_BYTES", "alert_from_dict", "load_alert_input",
    "merge_alerts", "parse_alert_payload", "read_alert_file",
]
