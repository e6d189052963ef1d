"""The log-in failure and reset-mail tables, which until the accounts app existed belonged to the project package
(app label `emojify_site`, tables emojify_site_loginfailure and emojify_site_resetmailrequest).

A new database gets the two tables; a database migrated before keeps its rows: the old tables are renamed to this
app's names, and the models' content types (so any permission given on them) move with them."""

from django.db import migrations, models

OLD_APP = "emojify_site"
MODELS = ("loginfailure", "resetmailrequest")


def adopt_or_create_tables(apps, schema_editor):
    existing = set(schema_editor.connection.introspection.table_names())
    for name in MODELS:
        model = apps.get_model("accounts", name)
        old_table = f"{OLD_APP}_{name}"
        if old_table in existing:
            schema_editor.alter_db_table(model, old_table, model._meta.db_table)
        else:
            schema_editor.create_model(model)
    content_types = apps.get_model("contenttypes", "ContentType").objects.using(schema_editor.connection.alias)
    for name in MODELS:
        if not content_types.filter(app_label="accounts", model=name).exists():
            content_types.filter(app_label=OLD_APP, model=name).update(app_label="accounts")


def drop_tables(apps, schema_editor):
    for name in MODELS:
        schema_editor.delete_model(apps.get_model("accounts", name))


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        # The models as Django knows them; their tables are made (or taken over) by adopt_or_create_tables.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="LoginFailure",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("username", models.CharField(db_index=True, max_length=150)),
                        ("ip", models.GenericIPAddressField(db_index=True, null=True)),
                        ("at", models.DateTimeField(auto_now_add=True, db_index=True)),
                    ],
                ),
                migrations.CreateModel(
                    name="ResetMailRequest",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("email", models.CharField(db_index=True, max_length=254)),
                        ("ip", models.GenericIPAddressField(db_index=True, null=True)),
                        ("at", models.DateTimeField(auto_now_add=True, db_index=True)),
                    ],
                ),
            ],
        ),
        migrations.RunPython(adopt_or_create_tables, drop_tables),
    ]
