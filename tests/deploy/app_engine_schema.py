"""App Engine's configuration files as JSON Schemas, written from Google's reference pages for the
standard environment's Python 3 runtimes ("app.yaml Configuration File", cloud.google.com/appengine/docs/
standard/reference/app-yaml, and "cron.yaml Reference", .../standard/scheduling-jobs-with-cron-yaml).
Keys not listed there are rejected, as `gcloud app deploy` rejects them."""

from __future__ import annotations

from typing import Any

#: the Python 3 runtimes the standard environment documents
PYTHON_RUNTIMES = ["python39", "python310", "python311", "python312", "python313"]
AUTOMATIC_CLASSES = ["F1", "F2", "F4", "F4_1G"]
BASIC_MANUAL_CLASSES = ["B1", "B2", "B4", "B4_1G", "B8"]
_LATENCY = {"anyOf": [{"const": "automatic"}, {"type": "string", "pattern": r"^\d+(\.\d+)?(ms|s)$"}]}
_UTILIZATION = {"type": "number", "minimum": 0.5, "maximum": 0.95}

APP_YAML: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "App Engine standard environment app.yaml (Python 3)",
    "type": "object",
    "required": ["runtime"],
    "additionalProperties": False,
    "properties": {
        "runtime": {"enum": PYTHON_RUNTIMES},
        "service": {"type": "string", "pattern": "^[a-z0-9-]{1,63}$"},
        "entrypoint": {"type": "string", "minLength": 1},
        "instance_class": {"enum": AUTOMATIC_CLASSES + BASIC_MANUAL_CLASSES},
        "app_engine_apis": {"type": "boolean"},
        "service_account": {"type": "string"},
        "default_expiration": {"type": "string"},
        "includes": {"type": "array", "items": {"type": "string"}},
        "inbound_services": {"type": "array", "items": {"enum": ["mail", "mail_bounce", "warmup"]}},
        "env_variables": {"type": "object", "additionalProperties": {"type": "string"}},
        "build_env_variables": {"type": "object", "additionalProperties": {"type": "string"}},
        "automatic_scaling": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "max_instances": {"type": "integer", "minimum": 0, "maximum": 2147483647},
                "min_instances": {"type": "integer", "minimum": 0, "maximum": 1000},
                "max_idle_instances": {"anyOf": [{"const": "automatic"}, {"type": "integer", "minimum": 1}]},
                "min_idle_instances": {"anyOf": [{"const": "automatic"}, {"type": "integer", "minimum": 0}]},
                "target_cpu_utilization": _UTILIZATION,
                "target_throughput_utilization": _UTILIZATION,
                "max_concurrent_requests": {"type": "integer", "minimum": 1, "maximum": 1000},
                "max_pending_latency": _LATENCY,
                "min_pending_latency": _LATENCY,
            },
        },
        "basic_scaling": {
            "type": "object",
            "additionalProperties": False,
            "required": ["max_instances"],
            "properties": {
                "max_instances": {"type": "integer", "minimum": 1},
                "idle_timeout": {"type": "string"},
            },
        },
        "manual_scaling": {
            "type": "object",
            "additionalProperties": False,
            "required": ["instances"],
            "properties": {"instances": {"type": "integer", "minimum": 1}},
        },
        "handlers": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["url"],
                "properties": {
                    "url": {"type": "string"},
                    "script": {"const": "auto"},  # Python 3: only `auto`
                    "static_dir": {"type": "string"},
                    "static_files": {"type": "string"},
                    "upload": {"type": "string"},
                    "secure": {"enum": ["optional", "never", "always"]},
                    "login": {"enum": ["optional", "required", "admin"]},
                    "auth_fail_action": {"enum": ["redirect", "unauthorized"]},
                    "redirect_http_response_code": {"enum": [301, 302, 303, 307]},
                    "expiration": {"type": "string"},
                    "http_headers": {"type": "object"},
                    "mime_type": {"type": "string"},
                },
                "additionalProperties": False,
            },
        },
        "error_handlers": {"type": "array", "items": {"type": "object"}},
        "vpc_access_connector": {
            "type": "object",
            "required": ["name"],
            "properties": {
                "name": {"type": "string"},
                "egress_setting": {"enum": ["all-traffic", "private-ranges-only"]},
            },
            "additionalProperties": False,
        },
    },
    # an F class needs automatic scaling, a B class basic or manual scaling
    "allOf": [
        {
            "if": {
                "properties": {"instance_class": {"enum": AUTOMATIC_CLASSES}},
                "required": ["instance_class"],
            },
            "then": {"not": {"anyOf": [{"required": ["basic_scaling"]}, {"required": ["manual_scaling"]}]}},
        },
        {
            "if": {
                "properties": {"instance_class": {"enum": BASIC_MANUAL_CLASSES}},
                "required": ["instance_class"],
            },
            "then": {"anyOf": [{"required": ["basic_scaling"]}, {"required": ["manual_scaling"]}]},
        },
    ],
}

#: "every N minutes|hours", "every N mins", "every day HH:MM", "every monday 09:00", "1 of month 00:00",
#: optionally "synchronized" or "from HH:MM to HH:MM"
_SCHEDULE = (
    r"^(every (\d+ (minutes|mins|hours)( (synchronized|from \d\d:\d\d to \d\d:\d\d))?"
    r"|(day|monday|tuesday|wednesday|thursday|friday|saturday|sunday|mon|tue|wed|thu|fri|sat|sun)"
    r"( ?, ?(monday|tuesday|wednesday|thursday|friday|saturday|sunday|mon|tue|wed|thu|fri|sat|sun))* \d\d:\d\d)"
    r"|\d+(st|nd|rd|th)?(,\d+(st|nd|rd|th)?)* [a-z, ]+ of [a-z, ]+ \d\d:\d\d)$"
)

CRON_YAML: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "App Engine cron.yaml",
    "type": "object",
    "required": ["cron"],
    "additionalProperties": False,
    "properties": {
        "cron": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["url", "schedule"],
                "additionalProperties": False,
                "properties": {
                    "url": {"type": "string", "pattern": "^/"},
                    "schedule": {"type": "string", "pattern": _SCHEDULE},
                    "description": {"type": "string", "maxLength": 500},
                    "target": {"type": "string"},
                    "timezone": {"type": "string"},
                    "retry_parameters": {
                        "type": "object",
                        "additionalProperties": False,
                        "properties": {
                            "job_retry_limit": {"type": "integer", "minimum": 0, "maximum": 5},
                            "job_age_limit": {"type": "string"},
                            "min_backoff_seconds": {"type": "number", "minimum": 0},
                            "max_backoff_seconds": {"type": "number", "minimum": 0},
                            "max_doublings": {"type": "integer", "minimum": 0},
                        },
                    },
                },
            },
        }
    },
}
