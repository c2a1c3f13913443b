from django.db import migrations, models


class Migration(migrations.Migration):
    """Briefings get a status. Every briefing held before this was public, so existing rows
    become published; from now on a new briefing (an import) starts as a draft."""

    dependencies = [("briefings", "0005_content_version")]

    operations = [
        migrations.AddField(
            model_name="speech",
            name="status",
            field=models.CharField(
                choices=[("draft", "Draft"), ("published", "Published")], default="published", max_length=20,
                help_text="A draft is seen by staff only; publish it when its figures have been reviewed.",
            ),
        ),
        migrations.AlterField(
            model_name="speech",
            name="status",
            field=models.CharField(
                choices=[("draft", "Draft"), ("published", "Published")], default="draft", max_length=20,
                help_text="A draft is seen by staff only; publish it when its figures have been reviewed.",
            ),
        ),
    ]
