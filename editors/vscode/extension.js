// Starts `neutron lsp` (the language server of the Neutron package) for .nt and .ntsc files.
const vscode = require("vscode");
const { LanguageClient } = require("vscode-languageclient/node");

let client;

function activate(context) {
  const config = vscode.workspace.getConfiguration("neutron");
  const server = { command: config.get("server.command", "neutron"), args: config.get("server.args", ["lsp"]) };
  client = new LanguageClient("neutron", "Neutron", server, {
    documentSelector: [{ scheme: "file", language: "neutron" }],
  });
  context.subscriptions.push(client);
  return client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
