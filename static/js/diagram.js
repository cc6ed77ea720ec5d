/* Render workflow diagrams (<pre class="mermaid">) with the vendored mermaid.js.
   Kept in a file, not inline, so a Content-Security-Policy without 'unsafe-inline'
   scripts still applies our settings. */
mermaid.initialize({ startOnLoad: true, securityLevel: "strict", theme: "default" });
