// The community manager's writes from the page go through the CM's own wallet: enrolling a peer.
"use strict";
(() => {
  const V = window.viem;
  const W = window.FlexWallet;
  const $ = (selector) => document.querySelector(selector);
  const say = (text, kind = "info") => { const box = $("#cm-messages"); box.textContent = text; box.dataset.kind = kind; };
  let deployment = null;

  async function enrol(event) {
    event.preventDefault();
    try {
      const peer = $("#enrol-address").value.trim();
      if (!V.isAddress(peer)) throw new Error(`${peer || "(empty)"} is not an address (0x and 40 hex digits).`);
      deployment ||= await W.api("/api/deployment");
      const session = await W.connect();
      if (Number(await session.wallet.getChainId()) !== deployment.chainId) await W.switchChain(deployment);
      const kind = Number($("#enrol-kind").value);
      await W.write(session, deployment, "registry", "enrol", [V.getAddress(peer), kind, `0x${"00".repeat(32)}`], `Enrolling ${peer}`, say);
      say(`Enrolled ${peer}; reload to see it in the list.`, "ok");
    } catch (error) {
      say(W.explain(error), "error");
    }
  }

  $("#enrol-form").addEventListener("submit", enrol);
})();
