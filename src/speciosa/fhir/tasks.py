"""Background tasks of the fhir app (Django tasks; django_tasks_db worker in production:
``python manage.py db_worker``)."""

from django.tasks import task


@task()
def run_fhir_export(job_uid: str) -> None:
    from speciosa.fhir.export import run_export_job

    run_export_job(job_uid)
