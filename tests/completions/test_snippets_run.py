"""The "View code" snippets work: each is run for real against the fake upstream.

Each snippet runs in a subprocess with the key in PROVIDER_API_KEY, as its user would run
it, and must send the run's exact body with the provider's headers.
"""

import json
import os
import shutil
import subprocess
import sys

import pytest

from playground.completions.snippets import snippets_for
from playground.execution.launch import launch_run
from playground.providers.models import AuthStyle

from ..execution.helpers import page_message
from ..factories import fake_api_key, make_provider, make_session
from ..fake_upstream import SSE, Reply, completion_chunk, completion_response, token_stream

pytestmark = [pytest.mark.django_db, pytest.mark.subprocess]

ENV_KEY = fake_api_key("environment")
HEADERS = {"OpenAI-Organization": "org-SECRET-ORG"}
TIMEOUT = 60


def make_run(alice, provider, **fields):
    """A run made as the playground makes it, from a message of the page's."""
    session = make_session(alice, provider)
    message = page_message(provider, session=str(session.pk), **fields)
    launch = launch_run(alice, message)
    assert launch.run is not None, launch.form.errors if launch.form else launch.error
    return launch.run


def snippet(run, label):
    return next(s.code for s in snippets_for(run) if s.label == label)


def execute(command, **kwargs):
    env = {
        **os.environ,
        "PROVIDER_API_KEY": ENV_KEY,
        "NO_PROXY": "127.0.0.1,localhost",
        "no_proxy": "127.0.0.1,localhost",
    }
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "OPENAI_ORG_ID", "OPENAI_PROJECT_ID"):
        env.pop(name, None)
    result = subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=TIMEOUT, **kwargs
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def run_python(code):
    return execute([sys.executable, "-c", code])


@pytest.fixture
def provider(alice, upstream):
    return make_provider(owner=alice, base_url=upstream.base_url, extra_headers=json.dumps(HEADERS))


# Every parameter the form has, so each must come out right in every language.
FULL = {
    "prompt": 'Say "hi" \\ it\'s <b>',
    "suffix": " end",
    "max_tokens": "20",
    "temperature": "0.5",
    "top_p": "0.9",
    "n": "1",
    "logprobs": "2",
    "echo": "on",
    "stop": ["\\n\\n", "END", "", ""],
    "presence_penalty": "0.1",
    "frequency_penalty": "-0.2",
    "seed": "7",
    "user": "me",
    "logit_bias_token": ["50256", "", "", ""],
    "logit_bias_bias": ["-100", "", "", ""],
    "extra_body": '{"top_k": 40, "min_p": 0.05, "flag": true, "none": null}',
}
STREAMED = {**FULL, "include_usage": "on"}
WHOLE = {**FULL, "stream": "", "best_of": "2"}


def streamed_reply():
    usage = {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5}
    # With include_usage the last chunk has no choices, only usage.
    return SSE(
        [*token_stream(["Hel", "lo"]), {**completion_chunk(), "choices": [], "usage": usage}]
    )


@pytest.mark.parametrize("fields", [STREAMED, WHOLE], ids=["stream", "no_stream"])
def test_the_openai_snippet_sends_the_runs_request(alice, provider, upstream, fields):
    run = make_run(alice, provider, **fields)
    stream = run.request_body["stream"]
    upstream.script(streamed_reply() if stream else Reply(completion_response(["Hello"])))

    output = run_python(snippet(run, "Python (openai)"))

    assert upstream.last_body == run.request_body
    assert upstream.last_headers["authorization"] == f"Bearer {ENV_KEY}"
    assert upstream.last_headers["openai-organization"] == "<your OpenAI-Organization value>"
    assert "Hello" in output
    assert len(upstream.completion_requests) == 1


@pytest.mark.parametrize("fields", [STREAMED, WHOLE], ids=["stream", "no_stream"])
def test_the_httpx_snippet_sends_the_runs_request(alice, provider, upstream, fields):
    run = make_run(alice, provider, **fields)
    stream = run.request_body["stream"]
    upstream.script(streamed_reply() if stream else Reply(completion_response(["Hello"])))

    output = run_python(snippet(run, "Python (httpx)"))

    assert upstream.last_body == run.request_body
    assert upstream.last_headers["authorization"] == f"Bearer {ENV_KEY}"
    assert upstream.last_headers["openai-organization"] == "<your OpenAI-Organization value>"
    assert "Hello" in output


@pytest.mark.skipif(not shutil.which("curl"), reason="no curl binary")
@pytest.mark.parametrize("fields", [STREAMED, WHOLE], ids=["stream", "no_stream"])
def test_the_curl_snippet_sends_the_runs_request(alice, provider, upstream, fields):
    run = make_run(alice, provider, **fields)
    stream = run.request_body["stream"]
    upstream.script(streamed_reply() if stream else Reply(completion_response(["Hello"])))

    output = execute(["bash", "-c", snippet(run, "curl")])

    assert upstream.last_body == run.request_body
    assert upstream.last_headers["authorization"] == f"Bearer {ENV_KEY}"
    assert upstream.last_headers["content-type"] == "application/json"
    assert upstream.last_headers["openai-organization"] == "<your OpenAI-Organization value>"
    assert "Hel" in output


@pytest.mark.skipif(not shutil.which("node"), reason="no node binary")
@pytest.mark.parametrize("fields", [STREAMED, WHOLE], ids=["stream", "no_stream"])
def test_the_javascript_snippet_sends_the_runs_request(alice, provider, upstream, fields):
    run = make_run(alice, provider, **fields)
    stream = run.request_body["stream"]
    upstream.script(streamed_reply() if stream else Reply(completion_response(["Hello"])))

    # Top-level await: the snippet is an ES module.
    execute(["node", "--input-type=module", "-e", snippet(run, "JavaScript (fetch)")])

    assert upstream.last_body == run.request_body
    assert upstream.last_headers["authorization"] == f"Bearer {ENV_KEY}"


@pytest.mark.parametrize("label", ["Python (openai)", "Python (httpx)", "curl"])
def test_an_api_key_provider_gets_its_key_in_an_api_key_header(alice, upstream, label):
    provider = make_provider(owner=alice, base_url=upstream.base_url, auth_style=AuthStyle.API_KEY)
    run = make_run(alice, provider, prompt="Hi")
    code = snippet(run, label)

    execute(["bash", "-c", code]) if label == "curl" else run_python(code)

    assert upstream.last_headers["api-key"] == ENV_KEY
    assert upstream.last_body == run.request_body


def test_a_prompt_given_as_json_tokens_is_sent_as_tokens(alice, provider, upstream):
    run = make_run(alice, provider, prompt="", prompt_json="[[1, 2, 3], [4, 5]]", n="")
    upstream.script(SSE(token_stream(["a"]) + token_stream(["b"], index=1)))

    run_python(snippet(run, "Python (openai)"))

    assert upstream.last_body["prompt"] == [[1, 2, 3], [4, 5]]
    assert upstream.last_body == run.request_body
