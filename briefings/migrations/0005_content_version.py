import uuid

from django.db import migrations, models


def first_token(apps, schema_editor):
    # Without a token nothing is cached, so a database that is only read would never be.
    apps.get_model("briefings", "ContentVersion").objects.create(pk=1, token=uuid.uuid4().hex)


class Migration(migrations.Migration):

    dependencies = [
        ("briefings", "0004_scale_indexes"),
    ]

    operations = [
        migrations.CreateModel(
            name="ContentVersion",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("token", models.CharField(max_length=32)),
            ],
        ),
        migrations.RunPython(first_token, migrations.RunPython.noop),
    ]
