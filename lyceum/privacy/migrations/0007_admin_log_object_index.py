"""Index the back office's history by the object it is about, so a person's export and
erasure find "staff changed this person" rows without scanning the whole log
(``Entry.also`` of ``admin.LogEntry``). Django's admin app declares no such index."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("admin", "0003_logentry_add_action_flag_choices"),
        ("privacy", "0006_audit_actor_index"),
    ]

    operations = [
        migrations.RunSQL(
            sql="CREATE INDEX lyceum_admin_log_object ON django_admin_log (content_type_id, object_id)",
            reverse_sql="DROP INDEX lyceum_admin_log_object",
        )
    ]
