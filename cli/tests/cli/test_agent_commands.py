"""`stigmer apply -f` with agent kinds and `stigmer agent run`: what is refused before
any server is asked (one line, exit 2, no traceback)."""

from __future__ import annotations

from pathlib import Path

import pytest
from stigmer.agent.v1 import api_pb2 as agent_api
from stigmer.mcpserver.v1 import api_pb2 as mcp_api
from stigmer_cli.agent_commands import load_agent_resources
from stigmer_cli.app import main


def test_agent_documents_load_in_file_order(tmp_path: Path) -> None:
    manifest = tmp_path / "agent.yaml"
    manifest.write_text(
        "kind: McpServer\nmetadata: {name: counter}\nspec: {stdio: {command: python}}\n---\n"
        "kind: Agent\nmetadata: {name: a}\nspec:\n  instructions: hi\n"
        "  mcpServers: [{mcpServerRef: {slug: counter, kind: MCP_SERVER}}]\n"
    )
    resources = load_agent_resources(manifest)
    assert resources is not None
    server, agent = resources
    assert isinstance(server, mcp_api.McpServer) and server.spec.stdio.command == "python"
    assert isinstance(agent, agent_api.Agent)
    assert agent.spec.mcp_servers[0].mcp_server_ref.slug == "counter"


def test_a_workflow_file_is_left_to_the_workflow_apply(tmp_path: Path) -> None:
    workflow = tmp_path / "wf.yaml"
    workflow.write_text("document: {dsl: '1.0.0', namespace: n, name: w, version: '1'}\ndo: []\n")
    assert load_agent_resources(workflow) is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "kind: Agent\nmetadata: {name: x}\nspec: {bogus: 1}\n",
            'not a valid Agent resource: Failed to parse spec field: Message type "stigmer.agent.v1.AgentSpec" has no field named "bogus"',
        ),
        (
            "kind: Agent\nmetadata: {name: x}\n---\nkind: Workflow\n",
            "apply takes Agent, McpServer, Skill, Environment documents together, not with Workflow",
        ),
    ],
)
def test_bad_agent_files_are_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, message: str
) -> None:
    manifest = tmp_path / "agent.yaml"
    manifest.write_text(text)
    assert main(["apply", "-f", str(manifest), "--server", "127.0.0.1:1"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"stigmer: {manifest}")
    assert message in err
    assert err.count("\n") == 1


def test_agent_run_refuses_an_empty_message(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["agent", "run", "a", "  ", "--server", "127.0.0.1:1"]) == 2
    assert capsys.readouterr().err == "stigmer: agent run: MESSAGE must not be empty\n"
