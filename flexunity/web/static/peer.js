// The peer page: everything that moves money or signs goes through the peer's own wallet (EIP-1193,
// window.ethereum) with viem; the server only prepares orders and shows documents. What matters is
// checked here against the chain, read through the wallet: the Merkle proof of the peer's settlement
// leaf against the root posted on chain, and the order's typed data against this deployment.
"use strict";
const V = window.viem;
const $ = (selector) => document.querySelector(selector);
const state = { deployment: null, wallet: null, reader: null, account: null, draft: null, round: null, timer: null };

function say(text, kind = "info") {
  const box = $("#messages");
  box.textContent = text;
  box.dataset.kind = kind;
}

const { api, explain } = window.FlexWallet;
// text from documents and the server goes into HTML escaped
const esc = (text) => String(text).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);

const D = () => state.deployment;
const money = (units) => `${V.formatUnits(BigInt(units), D().token.decimals)} ${D().token.symbol}`;
const localTime = (unix) =>
  new Date(Number(unix) * 1000).toLocaleString(undefined, { year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", timeZoneName: "short" });

function read(contract, functionName, args = []) {
  return state.reader.readContract({ address: D().contracts[contract], abi: D().abis[contract], functionName, args });
}

function write(contract, functionName, args, what) {
  return window.FlexWallet.write(state, D(), contract, functionName, args, what, say);
}

// --- wallet and chain -----------------------------------------------------------------------------

async function connect() {
  try {
    Object.assign(state, await window.FlexWallet.connect());
    $("#wallet-status").textContent = `Connected: ${state.account}`;
    $("#connect").hidden = true;
    const eth = window.FlexWallet.provider();
    if (eth.on) {
      eth.on("chainChanged", () => checkChain());
      eth.on("accountsChanged", (accounts) => { if (accounts[0]) { state.account = V.getAddress(accounts[0]); checkChain(); } });
    }
    await checkChain();
  } catch (error) {
    say(explain(error), "error");
  }
}

async function checkChain() {
  const id = Number(await state.wallet.getChainId());
  const wrong = id !== D().chainId;
  $("#wrong-chain").hidden = !wrong;
  $("#connected").hidden = wrong;
  if (wrong) {
    $("#wrong-chain-text").textContent =
      `Your wallet is on chain ${id}; this community settles on ${D().network} (chain ${D().chainId}). Switch your wallet to it.`;
    say("Wrong network: switch your wallet to the community's chain.", "error");
    return false;
  }
  say("Connected to the community's chain.", "ok");
  await refresh();
  return true;
}

async function switchChain() {
  try {
    await window.FlexWallet.switchChain(D());
    await checkChain();
  } catch (error) {
    say(explain(error), "error");
  }
}

// --- the account ------------------------------------------------------------------------------------

async function refresh() {
  const { now, rounds } = await api("/api/rounds");
  const latest = rounds.length ? rounds[0].round : 1;
  const [member, inWallet, escrow, withdrawable] = await Promise.all([
    read("registry", "isMember", [state.account, BigInt(latest)]),
    read("token", "balanceOf", [state.account]),
    read("escrow", "accountOf", [state.account]),
    read("escrow", "withdrawable", [state.account]),
  ]);
  $("#membership").textContent = member ? `member (round ${latest})` : `not a member for round ${latest}: ask your community manager to enrol ${state.account}`;
  $("#wallet-balance").textContent = money(inWallet);
  $("#escrow-balance").textContent = money(escrow.balance);
  $("#committed").textContent = money(escrow.balance - withdrawable);
  $("#debt").textContent = money(escrow.debt);
  $("#withdrawable").textContent = money(withdrawable);
  for (const el of document.querySelectorAll(".symbol")) el.textContent = D().token.symbol;
  await showRound(rounds.find((r) => r.stage === "open") || rounds[0], now);
  await showPast(rounds.filter((r) => r.resultHash));
  await showRevenue();
}

async function deposit(event) {
  event.preventDefault();
  try {
    const units = V.parseUnits($("#deposit-amount").value.trim(), D().token.decimals);
    if (units <= 0n) throw new Error("Enter a positive amount.");
    const allowance = await read("token", "allowance", [state.account, D().contracts.escrow]);
    if (allowance < units) await write("token", "approve", [D().contracts.escrow, units], "Approving the escrow");
    await write("escrow", "deposit", [state.account, units], `Depositing ${money(units)}`);
    say(`Deposited ${money(units)} into the escrow.`, "ok");
    await refresh();
  } catch (error) {
    say(explain(error), "error");
  }
}

async function withdraw(event) {
  event.preventDefault();
  try {
    const available = await read("escrow", "withdrawable", [state.account]);
    const text = $("#withdraw-amount").value.trim();
    const units = text ? V.parseUnits(text, D().token.decimals) : available;
    if (units <= 0n) throw new Error("Nothing is withdrawable now (money committed to unfinished rounds stays until they settle).");
    if (units > available) throw new Error(`You can withdraw ${money(available)} now.`);
    await write("escrow", "withdraw", [units, state.account], `Withdrawing ${money(units)}`);
    say(`Withdrew ${money(units)} to your wallet.`, "ok");
    await refresh();
  } catch (error) {
    say(explain(error), "error");
  }
}

// --- the open round and the order ---------------------------------------------------------------------

async function showRound(round, now) {
  const box = $("#round-box");
  clearInterval(state.timer);
  if (!round) { box.innerHTML = "<p>No round yet.</p>"; $("#order-form").hidden = true; return; }
  state.round = round;
  const mine = await myOrders(round.round);
  const open = round.stage === "open";
  const offset = Math.floor(Date.now() / 1000) - now; // the chain's clock may differ from this computer's
  box.innerHTML = `
    <dl class="figures">
      <div><dt>Round</dt><dd>${round.round} (${round.stage})</dd></div>
      <div><dt>Gate closure</dt><dd>${localTime(round.gateClosure)}</dd></div>
      <div><dt>${open ? "Closes in" : "Closed"}</dt><dd class="countdown" id="countdown"></dd></div>
      <div><dt>Orders ${open ? "on chain so far" : "counted at gate closure"}</dt><dd id="round-orders">${round.orders}</dd></div>
      <div><dt>Delivery</dt><dd>${round.intervals} × ${round.intervalSeconds / 60} min from ${localTime(round.start)}</dd></div>
      <div><dt>Your order</dt><dd id="my-order">${mine.length ? `on chain, nonce ${mine[mine.length - 1].args.nonce}${open ? "" : " (counted)"}` : "none on chain"}</dd></div>
    </dl>`;
  const tick = () => {
    const left = round.gateClosure - (Math.floor(Date.now() / 1000) - offset);
    const el = $("#countdown");
    if (!el) return;
    if (left <= 0) { el.textContent = "gate closed"; return; }
    const h = Math.floor(left / 3600), m = Math.floor((left % 3600) / 60), s = left % 60;
    el.textContent = `${h} h ${String(m).padStart(2, "0")} min ${String(s).padStart(2, "0")} s`;
  };
  tick();
  state.timer = setInterval(tick, 1000);
  $("#order-form").hidden = !open;
  $("#order-round").textContent = round.round;
  if (open && !$("#preset").options.length) {
    const { presets } = await api(`/api/rounds/${round.round}/presets`);
    $("#preset").innerHTML = presets.map((p) => `<option value="${esc(p.id)}">${esc(p.label)}</option>`).join("");
  }
}

function myOrders(roundId) {
  return state.reader.getContractEvents({
    address: D().contracts.rounds, abi: D().abis.rounds, eventName: "OrderAccepted",
    args: { roundId: BigInt(roundId), peer: state.account }, fromBlock: BigInt(D().firstBlock),
  });
}

async function prepare(event) {
  event.preventDefault();
  state.draft = null; // never sign a draft the form no longer describes
  $("#draft").hidden = true;
  try {
    const draft = await api(`/api/rounds/${state.round.round}/draft`, {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ address: state.account, preset: $("#preset").value, dailyKwh: $("#daily-kwh").value,
                             pvKwp: $("#pv-kwp").value, loadCsv: await ownLoad() }),
    });
    checkDraft(draft);
    state.draft = draft;
    const s = draft.summary, m = draft.typedData.message;
    $("#draft-summary").innerHTML = `
      <div><dt>Profile</dt><dd>${esc(s.preset)}</dd></div>
      <div><dt>Consumption</dt><dd id="draft-load">${s.loadKwh.toLocaleString()} kWh</dd></div>
      <div><dt>Solar production</dt><dd>${s.pvKwh.toLocaleString()} kWh</dd></div>
      <div><dt>Tariff</dt><dd>${esc(s.tariff)}</dd></div>
      <div><dt>Intervals</dt><dd>${s.intervals} × ${s.intervalMinutes} min</dd></div>
      <div><dt>Nonce · valid until</dt><dd id="draft-nonce">${m.nonce} · ${localTime(m.deadline)}</dd></div>`;
    $("#draft").hidden = false;
    say("Order prepared. Check it, then sign it in your wallet.");
  } catch (error) {
    say(explain(error), "error");
  }
}

async function ownLoad() {
  const file = $("#load-file").files[0];
  return file ? await file.text() : null;
}

function checkDraft(draft) {
  // never sign what is not an order of this peer, for this contract on this chain, with this payload
  const { domain, message } = draft.typedData;
  if (Number(domain.chainId) !== D().chainId) throw new Error("The prepared order is for another chain: not signing it.");
  if (V.getAddress(domain.verifyingContract) !== V.getAddress(D().contracts.rounds)) throw new Error("The prepared order is for another contract: not signing it.");
  if (V.getAddress(message.peer) !== state.account) throw new Error("The prepared order is for another peer: not signing it.");
  if (V.keccak256(draft.payload) !== message.payloadHash) throw new Error("The prepared payload does not match its hash: not signing it.");
}

async function signAndSubmit() {
  const { typedData, payload } = state.draft;
  const { EIP712Domain, ...types } = typedData.types;
  let signature;
  try {
    say("Sign your order in your wallet…");
    signature = await state.wallet.signTypedData({ account: state.account, domain: typedData.domain, types, primaryType: typedData.primaryType, message: typedData.message });
  } catch (error) {
    $("#order-status").textContent = "";
    say(explain(error), "error");
    return;
  }
  try {
    const answer = await api("/inbox/orders", {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ order: typedData.message, payload, signature }),
    });
    $("#order-status").textContent = `Sent to the community manager (nonce ${answer.accepted.nonce}): waiting to be relayed to the chain…`;
    say("Order signed and accepted by the community manager's inbox.", "ok");
    waitRelayed(typedData.message);
  } catch (error) {
    say(`The community manager's inbox refused the order: ${explain(error)}`, "error");
  }
}

async function sendFromWallet() {
  const { typedData, payload } = state.draft;
  const m = typedData.message;
  try {
    const order = { roundId: BigInt(m.roundId), peer: m.peer, nonce: BigInt(m.nonce), deadline: BigInt(m.deadline), maxDebit: BigInt(m.maxDebit), payloadHash: m.payloadHash };
    await write("rounds", "submitOrder", [order, payload], "Sending your order");
    $("#order-status").textContent = `Your order is on chain (nonce ${m.nonce}).`;
    say("Order on chain.", "ok");
    await refresh();
  } catch (error) {
    say(explain(error), "error");
  }
}

async function waitRelayed(message) {
  for (let i = 0; i < 120; i++) {
    await new Promise((r) => setTimeout(r, 1000));
    const { orders } = await api(`/api/inbox?round=${message.roundId}&peer=${message.peer}`);
    const mine = orders.filter((o) => String(o.nonce) === String(message.nonce)).pop();
    if (mine && mine.status === "relayed") {
      $("#order-status").textContent = `Your order is on chain (nonce ${mine.nonce}, relayed by the community manager).`;
      await refresh();
      return;
    }
    if (mine && (mine.status === "dropped" || mine.status === "refused")) {
      $("#order-status").textContent = `Your order was not relayed: ${mine.reason}`;
      return;
    }
  }
}

// --- past rounds: bill, prices, proof checked against the chain --------------------------------------

const BILL_LINES = {
  import: "Bought from the grid", export: "Sold to the grid", trades: "Traded in the community",
  fees: "Community fee", flex_cost: "Flexibility cost", side_payment: "Side payment",
  community_grid: "Community grid charges", cost: "Energy cost", total: "Total",
};

function hashPair(a, b) {
  return a.toLowerCase() < b.toLowerCase() ? V.keccak256(`${a}${b.slice(2)}`) : V.keccak256(`${b}${a.slice(2)}`);
}

function leafHash(leaf) {
  const values = leaf.values.map((v, i) => (leaf.encoding[i].startsWith("uint") ? BigInt(v) : v));
  return V.keccak256(V.keccak256(V.encodeAbiParameters(leaf.encoding.map((type) => ({ type })), values)));
}

async function postedResult(roundId) {
  const logs = await state.reader.getContractEvents({
    address: D().contracts.clearing, abi: D().abis.clearing, eventName: "ResultPosted",
    args: { roundId: BigInt(roundId) }, fromBlock: BigInt(D().firstBlock),
  });
  if (!logs.length) throw new Error(`round ${roundId} has no result on chain`);
  return logs[logs.length - 1].args.result;
}

async function showPast(rounds) {
  const box = $("#past-rounds");
  if (!rounds.length) return;
  box.innerHTML = rounds.map((r) => `<article class="round" id="past-${r.round}"><h3>Round ${r.round} <span class="stage">${r.stage}</span></h3>
    <button type="button" class="secondary" data-bill="${r.round}">Show my bill and check it</button><div class="bill"></div></article>`).join("");
  for (const button of box.querySelectorAll("button[data-bill]")) button.addEventListener("click", () => showBill(Number(button.dataset.bill)));
}

async function showBill(roundId) {
  const box = $(`#past-${roundId} .bill`);
  try {
    const data = await api(`/api/rounds/${roundId}/peers/${state.account}`);
    const posted = await postedResult(roundId);
    const leaf = leafHash(data.leaf);
    const root = data.proof.reduce(hashPair, leaf);
    const proofOk = root === posted.resultsRoot;
    const documentOk = posted.documentHash === data.documentHash;
    const [, , , amount, isCredit] = data.leaf.values;
    const lines = Object.entries(data.bill).map(([name, value]) =>
      `<tr><td>${esc(BILL_LINES[name] || name.replace(/_/g, " "))}</td><td class="num">${Number(value).toFixed(2)} ${esc(data.currency)}</td></tr>`).join("");
    const start = new Date(data.start);
    const prices = data.prices.buy.map((buy, t) => {
      const at = new Date(start.getTime() + t * data.intervalMinutes * 60000).toLocaleTimeString(undefined, { timeStyle: "short" });
      return `<tr><td>${at}</td><td class="num">${Number(buy).toFixed(4)}</td><td class="num">${Number(data.prices.sell[t]).toFixed(4)}</td></tr>`;
    }).join("");
    box.innerHTML = `
      <p class="proof ${proofOk && documentOk ? "ok" : "bad"}" id="proof-${roundId}">${proofOk && documentOk
        ? `✓ Verified in your browser: your settlement leaf is in the tree whose root the chain holds (${posted.resultsRoot.slice(0, 10)}…), and the bill comes from the document whose hash is on chain.`
        : `✗ Check failed: ${proofOk ? "" : "the proof does not lead to the root on chain. "}${documentOk ? "" : "the document is not the one posted on chain."}`}</p>
      <p>Settlement: <strong>${isCredit ? "you receive" : "you pay"} ${money(amount)}</strong> (${data.applied ? "applied to your escrow" : "not applied yet"}).
      ${data.standalone != null ? `Alone with your supplier, without the community, your bill would have been ${Number(data.standalone).toFixed(2)} ${esc(data.currency)}.` : ""}</p>
      <div class="scroll"><table><caption>Your bill (${esc(data.currency)}; positive: you pay)</caption><tbody>${lines}</tbody></table></div>
      <details><summary>Internal prices (${esc(data.currency)}/kWh, rule ${esc(data.prices.rule)}), times in your zone</summary>
        <div class="scroll"><table><thead><tr><th>From</th><th class="num">Buy</th><th class="num">Sell</th></tr></thead><tbody>${prices}</tbody></table></div></details>
      <details><summary>Settlement leaf and Merkle proof</summary><p><code>${data.leaf.values.join(", ")}</code></p>
        <ol>${data.proof.map((p) => `<li><code>${p}</code></li>`).join("")}</ol></details>`;
  } catch (error) {
    box.innerHTML = `<p class="error">${esc(explain(error))}</p>`;
  }
}

// --- revenue ----------------------------------------------------------------------------------------

async function showRevenue() {
  const { shares } = await api(`/api/revenue/${state.account}`);
  if (!shares.length) return;
  $("#revenue").innerHTML = `<div class="scroll"><table><thead><tr><th>Distribution</th><th>Round</th><th>Rule</th><th class="num">Your share</th><th></th></tr></thead><tbody>${
    shares.map((s) => `<tr><td>${s.distribution}</td><td>${s.round}</td><td>${esc(s.rule)}</td><td class="num">${money(s.amount)}</td>
      <td>${s.claimed ? "claimed" : `<button type="button" data-claim="${s.distribution}">Claim</button>`}</td></tr>`).join("")}</tbody></table></div>`;
  for (const button of document.querySelectorAll("button[data-claim]")) {
    button.addEventListener("click", () => claim(shares.find((s) => String(s.distribution) === button.dataset.claim)));
  }
}

async function claim(share) {
  try {
    const [distributionId, index, account, amount] = share.leaf.values;
    const leaf = { distributionId: BigInt(distributionId), index: Number(index), account, amount: BigInt(amount) };
    await write("revenue", "claim", [leaf, share.proof], `Claiming ${money(share.amount)}`);
    say(`Claimed ${money(share.amount)} of balancing revenue into your wallet.`, "ok");
    await refresh();
  } catch (error) {
    say(explain(error), "error");
  }
}

// --- start ------------------------------------------------------------------------------------------

async function start() {
  try {
    state.deployment = await api("/api/deployment");
  } catch (error) {
    say(`The community's server did not answer: ${explain(error)}`, "error");
    return;
  }
  $("#connect").addEventListener("click", connect);
  $("#switch").addEventListener("click", switchChain);
  $("#deposit-form").addEventListener("submit", deposit);
  $("#withdraw-form").addEventListener("submit", withdraw);
  $("#order-form").addEventListener("submit", prepare);
  $("#sign-submit").addEventListener("click", signAndSubmit);
  $("#sign-send").addEventListener("click", sendFromWallet);
  $("#sign-send").hidden = false;
  if (!D().inbox) $("#sign-submit").hidden = true;
  document.body.dataset.ready = "1";
}

start();
