"""A run's request as code to copy: curl, the openai SDK, JavaScript fetch and httpx.

The provider's base URL and header names are real; the key is always a placeholder.
"""

import json
import shlex
from dataclasses import dataclass

from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import get_lexer_by_name

from playground.providers.models import AuthStyle

KEY_PLACEHOLDER = "$PROVIDER_API_KEY"
HEADER_VALUE_PLACEHOLDER = "<your {name} value>"


@dataclass
class Snippet:
    language: str
    label: str
    code: str

    @property
    def highlighted(self) -> str:
        # Pygments escapes the code it highlights, so model text in a prompt stays text.
        lexer = get_lexer_by_name(self.language)
        return highlight(self.code, lexer, HtmlFormatter(nowrap=True))


def _headers(provider) -> dict[str, str]:
    """Header names of the provider; every value that could be secret is a placeholder."""
    headers = {"Content-Type": "application/json"}
    if provider is None:
        return headers
    if provider.auth_style == AuthStyle.BEARER:
        headers["Authorization"] = f"Bearer {KEY_PLACEHOLDER}"
    elif provider.auth_style == AuthStyle.API_KEY:
        headers["api-key"] = KEY_PLACEHOLDER
    for name in provider.extra_header_items():
        headers[name] = HEADER_VALUE_PLACEHOLDER.format(name=name)
    return headers


def curl(url: str, headers: dict, body: dict) -> str:
    lines = [f"curl {shlex.quote(url)}"]
    for name, value in headers.items():
        if KEY_PLACEHOLDER in value:
            # Double quotes, so the shell expands $PROVIDER_API_KEY.
            lines.append(f'  -H "{name}: {value}"')
        else:
            lines.append(f"  -H {shlex.quote(f'{name}: {value}')}")
    lines.append(f"  -d {shlex.quote(json.dumps(body, indent=2, ensure_ascii=False))}")
    return " \\\n".join(lines)


def python_openai(base_url: str, headers: dict, body: dict) -> str:
    header_lines = [
        f"        {name!r}: {value!r},"
        for name, value in headers.items()
        if name not in ("Content-Type", "Authorization", "api-key")
    ]
    if "api-key" in headers:
        # The SDK sends its api_key as a Bearer token; this provider wants it in api-key.
        header_lines.insert(0, "        'api-key': os.environ['PROVIDER_API_KEY'],")
    arguments = {k: v for k, v in body.items()}
    stream = arguments.get("stream")
    lines = [
        "import os",
        "",
        "from openai import OpenAI",
        "",
        "client = OpenAI(",
        f"    base_url={base_url!r},",
        '    api_key=os.environ.get("PROVIDER_API_KEY", "none"),',
    ]
    if header_lines:
        lines += ["    default_headers={", *header_lines, "    },"]
    lines += [")", "", "response = client.completions.create("]
    standard = {
        "model", "prompt", "suffix", "max_tokens", "temperature", "top_p", "n", "stream",
        "stream_options", "logprobs", "echo", "stop", "presence_penalty",
        "frequency_penalty", "best_of", "logit_bias", "seed", "user",
    }  # fmt: skip
    extra_body = {k: v for k, v in arguments.items() if k not in standard}
    for name, value in arguments.items():
        if name in standard:
            lines.append(f"    {name}={_python_literal(value)},")
    if extra_body:
        lines.append(f"    extra_body={_python_literal(extra_body)},")
    lines.append(")")
    if stream:
        lines += [
            "for chunk in response:",
            "    for choice in chunk.choices:",
            '        print(choice.text, end="", flush=True)',
            "print()",
        ]
    else:
        lines += ["for choice in response.choices:", "    print(choice.text)"]
    return "\n".join(lines)


def javascript_fetch(url: str, headers: dict, body: dict) -> str:
    js_headers = {
        name: (value.replace(KEY_PLACEHOLDER, "${process.env.PROVIDER_API_KEY}"))
        for name, value in headers.items()
    }
    header_lines = ",\n".join(
        f"    {json.dumps(name)}: `{value}`"
        if "${" in value
        else f"    {json.dumps(name)}: {json.dumps(value)}"
        for name, value in js_headers.items()
    )
    return (
        f"const response = await fetch({json.dumps(url)}, {{\n"
        '  method: "POST",\n'
        f"  headers: {{\n{header_lines},\n  }},\n"
        f"  body: JSON.stringify({json.dumps(body, indent=2, ensure_ascii=False)}),\n"
        "});\n"
        + (
            "const reader = response.body.getReader();\n"
            "const decoder = new TextDecoder();\n"
            "for (;;) {\n"
            "  const { done, value } = await reader.read();\n"
            "  if (done) break;\n"
            "  console.log(decoder.decode(value)); // server-sent events: data: {...}\n"
            "}\n"
            if body.get("stream")
            else "console.log(await response.json());\n"
        )
    )


def python_httpx(url: str, headers: dict, body: dict) -> str:
    header_items = ",\n".join(
        f"    {name!r}: f\"Bearer {{os.environ['PROVIDER_API_KEY']}}\""
        if value == f"Bearer {KEY_PLACEHOLDER}"
        else f"    {name!r}: os.environ['PROVIDER_API_KEY']"
        if value == KEY_PLACEHOLDER
        else f"    {name!r}: {value!r}"
        for name, value in headers.items()
    )
    lines = [
        "import os",
        "",
        "import httpx",
        "",
        f"headers = {{\n{header_items},\n}}",
        f"body = {_python_literal(body)}",
        "",
    ]
    if body.get("stream"):
        lines += [
            "from httpx_sse import connect_sse",
            "",
            "with httpx.Client(timeout=120) as client:",
            f'    with connect_sse(client, "POST", {url!r}, json=body, headers=headers) as events:',
            "        for event in events.iter_sse():",
            '            if event.data == "[DONE]":',
            "                break",
            # The last chunk may carry only usage, with no choices.
            "            for choice in event.json()['choices']:",
            "                print(choice['text'], end='', flush=True)",
            "print()",
        ]
    else:
        lines += [
            f"response = httpx.post({url!r}, json=body, headers=headers, timeout=120)",
            "print(response.json())",
        ]
    return "\n".join(lines)


def _python_literal(value) -> str:
    # JSON's true/false/null are not Python; repr of the parsed value is.
    return repr(value)


def snippets_for(run) -> list[Snippet]:
    # An imported or forked run has no provider of its own: its session's is the next best.
    provider = run.provider or (run.session.provider if run.session_id else None)
    base_url = provider.base_url if provider else "https://api.openai.com/v1"
    url = base_url.rstrip("/") + "/completions"
    headers = _headers(provider)
    body = run.request_body
    return [
        Snippet("bash", "curl", curl(url, headers, body)),
        Snippet("python", "Python (openai)", python_openai(base_url, headers, body)),
        Snippet("javascript", "JavaScript (fetch)", javascript_fetch(url, headers, body)),
        Snippet("python", "Python (httpx)", python_httpx(url, headers, body)),
    ]
