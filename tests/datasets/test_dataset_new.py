"""New dataset: pasted CSV, uploaded CSV or JSONL; a bad one stores nothing and says where."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from playground.datasets.models import Dataset, DatasetRow

pytestmark = pytest.mark.django_db


def post(client, **data):
    return client.post("/datasets/new/", {"name": "Capitals", **data})


def test_it_stores_a_pasted_csv(alice, alice_client):
    response = post(alice_client, pasted="city,expected\nParis,France\nRome,Italy\n")
    dataset = Dataset.objects.get(owner=alice)
    assert response.status_code == 302
    assert response["Location"] == f"/datasets/{dataset.pk}/"
    assert dataset.columns == ["city", "expected"]
    assert dataset.row_count == 2
    assert [row.values for row in dataset.rows.all()] == [
        {"city": "Paris", "expected": "France"},
        {"city": "Rome", "expected": "Italy"},
    ]


def test_it_stores_an_uploaded_jsonl_file(alice, alice_client):
    upload = SimpleUploadedFile(
        "rows.jsonl", b'{"city": "Oslo", "id": 7}\n{"city": "Rome", "id": 8}\n'
    )
    assert post(alice_client, file=upload).status_code == 302
    dataset = Dataset.objects.get(owner=alice)
    assert dataset.columns == ["city", "id"]
    assert dataset.rows.last().values == {"city": "Rome", "id": "8"}


def test_it_stores_a_thousand_rows(alice, alice_client):
    text = "id,city\n" + "".join(f"{i},city {i}\n" for i in range(1500))
    upload = SimpleUploadedFile("big.csv", text.encode())
    assert post(alice_client, file=upload).status_code == 302
    assert DatasetRow.objects.filter(dataset__owner=alice).count() == 1500


def test_a_bad_file_names_line_and_column_and_stores_nothing(alice_client):
    text = "city,expected\n" + "Paris,France\n" * 600 + "<b>Rome</b>,Italy,extra\n"
    response = post(alice_client, pasted=text)
    assert response.status_code == 200
    assert "Line 602, column 3: the row has 3 values" in response.text
    assert "Nothing was stored" in response.text
    assert not Dataset.objects.exists() and not DatasetRow.objects.exists()


def test_a_bad_jsonl_upload_is_named(alice_client):
    upload = SimpleUploadedFile("rows.jsonl", b'{"a": "<i>x</i>"}\n{"a": <script>}\n')
    response = post(alice_client, file=upload)
    assert "Line 2, column 7: not valid JSON" in response.text
    assert "<script>" not in response.text
    assert not Dataset.objects.exists()


def test_a_file_over_the_size_cap_names_the_cap(alice_client, settings):
    settings.PLAYGROUND_DATASET_MAX_BYTES = 20
    upload = SimpleUploadedFile("rows.csv", b"city\n" + b"Paris\n" * 10)
    response = post(alice_client, file=upload)
    assert "PLAYGROUND_DATASET_MAX_BYTES" in response.text
    assert not Dataset.objects.exists()


def test_rows_over_the_cap_name_the_cap(alice_client, settings):
    settings.PLAYGROUND_DATASET_MAX_ROWS = 3
    response = post(alice_client, pasted="city\na\nb\nc\nd\n")
    assert "Line 5: the dataset has more than 3 rows, the cap (PLAYGROUND_DATASET_MAX_ROWS)" in (
        response.text
    )
    assert not Dataset.objects.exists()


def test_a_file_that_is_not_utf8_is_refused(alice_client):
    upload = SimpleUploadedFile("rows.csv", "city\nK\u00f8benhavn\n".encode("latin-1"))
    assert "Line 2: the file is not UTF-8" in post(alice_client, file=upload).text
    assert not Dataset.objects.exists()


def test_a_file_of_another_format_is_refused(alice_client):
    upload = SimpleUploadedFile("rows.xlsx", b"city\nParis\n")
    assert "is not a .csv or .jsonl file" in post(alice_client, file=upload).text


def test_it_needs_a_paste_or_a_file(alice_client):
    assert "Paste a CSV or choose a file." in post(alice_client).text


def test_it_requires_login(client):
    assert post(client, pasted="city\nParis\n").status_code == 302
    assert not Dataset.objects.exists()
