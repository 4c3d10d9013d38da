"""Jobs of the speech API; each is idempotent."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from lyceum.speech import services


@db_task(retries=0)
def run_assessment_job(job_id: str, wav: bytes) -> None:
    """Assess a long recording (P39: the sound reaches the worker in the queue's message,
    plain WAV without the original file's metadata, and is gone with it). Not retried: a
    failure is recorded on the job for its client to read."""
    services.assessment_job_run(job_id=job_id, wav=wav)


@db_periodic_task(crontab(minute="*/10"))
def speech_retention() -> int:
    """Every ten minutes: delete job results an hour after they finished and recordings kept
    for review at the end of their client's declared days (the hourly retention sweep does
    too, from the register)."""
    return services.speech_expired_delete()
