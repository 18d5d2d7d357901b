"""Client feedback surveys as a feature: CSAT after resolution, NPS on a cadence, ``/sla feedback``.

``install`` creates the :class:`~bot.services.surveys.SurveyService`, hooks it into every ticket
change (``TicketService.listeners``), registers the Slack listeners and ``/sla feedback``, and
offers the figures to other features as ``runtime.services.feedback`` (also ``extras["feedback"]``):
``services.feedback(team_id, client_key | None, period) -> sla.feedback.FeedbackFigures``.

``jobs`` adds the periodic work (each run is idempotent, so any number of processes may run it):
reminders and closing expired surveys every few minutes, and the NPS question hourly (sent once per
client and period, claimed in ``report_runs``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported where used, so that `slabot --help` stays fast
    from bot.runtime import Runtime
    from bot.scheduler import ScheduledJob
    from bot.services.surveys import SurveyService

NAME = "feedback"
SURVEY_JOB_ID = "slabot.feedback.surveys"
NPS_JOB_ID = "slabot.feedback.nps"
SURVEY_JOB_MINUTES = 5
NPS_JOB_MINUTES = 60


def install(runtime: Runtime) -> None:
    from bot import grammar as g
    from handlers import surveys
    from handlers.survey_ui import SlackSurveys

    services = runtime.services
    service = SlackSurveys(
        uow=services.uow,
        book=services.book,
        clock=services.clock,
        tickets=services.tickets,
        # our side (agents, leads, managers, admins: sla.roles) is never surveyed and never answers
        is_agent=lambda team_id, user_id: services.people.person(team_id, user_id).is_staff,
    )
    services.tickets.listeners.append(service.on_change)
    services.feedback = service
    surveys.register(runtime.app, service)
    services.commands[g.Feedback] = surveys.feedback_command


def service_of(runtime: Runtime) -> SurveyService:
    service = runtime.services.feedback
    if service is None:
        raise LookupError("the feedback feature is not installed")
    return service


def run_survey_jobs(service: SurveyService) -> dict[str, int]:
    return {"reminded": service.remind_due(), "closed": service.close_due()}


def jobs(runtime: Runtime) -> list[ScheduledJob]:
    from bot.scheduler import ScheduledJob

    service = service_of(runtime)
    return [
        ScheduledJob.every(
            SURVEY_JOB_MINUTES * 60,
            SURVEY_JOB_ID,
            lambda: run_survey_jobs(service),
            name="survey reminders and closing",
        ),
        ScheduledJob.every(
            NPS_JOB_MINUTES * 60, NPS_JOB_ID, service.send_nps, name="NPS relationship survey"
        ),
    ]
