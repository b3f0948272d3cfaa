"""The monthly payment run, on the 5th of the month after the window (returns are due by then)."""

from dagster import build_schedule_from_partitioned_job

from pbr_pipeline.jobs import monthly_payment_run

PAYMENT_RUN_DAY = 5

monthly_payment_schedule = build_schedule_from_partitioned_job(
    monthly_payment_run,
    name="monthly_payment_schedule",
    day_of_month=PAYMENT_RUN_DAY,
    hour_of_day=6,
    description="Runs the payment run for the previous month's window on the 5th at 06:00.",
)
