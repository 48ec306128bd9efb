import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('providers', '0003_alter_provider_base_url'),
    ]

    operations = [
        migrations.RemoveField(
            model_name='provider',
            name='quirks',
        ),
        migrations.CreateModel(
            name='ProviderCapabilities',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('model', models.CharField(max_length=200)),
                ('results', models.JSONField(default=dict)),
                ('measured_at', models.DateTimeField()),
                ('provider', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='capabilities', to='providers.provider')),
            ],
            options={
                'ordering': ['provider_id', 'model'],
                'constraints': [models.UniqueConstraint(fields=('provider', 'model'), name='one_probe_per_model')],
            },
        ),
    ]
