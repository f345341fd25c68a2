// Shared by the pages that write: the wallet (EIP-1193, window.ethereum) through viem, the community's
// chain (switch, or add it), contract writes awaited to their receipt, errors in words.
"use strict";
window.FlexWallet = (() => {
  const V = window.viem;

  async function api(path, options) {
    const answer = await fetch(path, options);
    const body = await answer.json().catch(() => ({}));
    if (!answer.ok) throw new Error(body.error || `the server answered ${answer.status}`);
    return body;
  }

  function rejected(error) {
    for (let e = error; e; e = e.cause) {
      if (e.code === 4001 || e.name === "UserRejectedRequestError") return true;
    }
    return false;
  }

  function explain(error) {
    if (rejected(error)) return "You rejected the request in your wallet: nothing was signed or sent.";
    return error.shortMessage || error.details || error.message || String(error);
  }

  function provider() {
    if (!window.ethereum) throw new Error("No wallet found: install MetaMask, Rabby or Frame, or open this page in your wallet's browser.");
    return window.ethereum;
  }

  // { wallet, reader, account } for the connected wallet
  async function connect() {
    const eth = provider();
    const wallet = V.createWalletClient({ transport: V.custom(eth) });
    const reader = V.createPublicClient({ transport: V.custom(eth), pollingInterval: 500 });
    const [account] = await wallet.requestAddresses();
    return { wallet, reader, account: V.getAddress(account) };
  }

  async function switchChain(deployment) {
    const chainId = V.numberToHex(deployment.chainId);
    try {
      await provider().request({ method: "wallet_switchEthereumChain", params: [{ chainId }] });
    } catch (error) {
      if (error.code !== 4902 || !deployment.rpcUrl) throw error;
      await provider().request({
        method: "wallet_addEthereumChain",
        params: [{ chainId, chainName: `FlexUnity ${deployment.network} (${deployment.chainId})`, rpcUrls: [deployment.rpcUrl],
                   nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 } }],
      });
    }
  }

  async function write(session, deployment, contract, functionName, args, what, say) {
    say(`${what}: confirm in your wallet…`);
    const hash = await session.wallet.writeContract({
      account: session.account, chain: null, address: deployment.contracts[contract], abi: deployment.abis[contract], functionName, args,
    });
    say(`${what}: sent (${hash.slice(0, 10)}…), waiting for the block…`);
    const receipt = await session.reader.waitForTransactionReceipt({ hash });
    if (receipt.status !== "success") throw new Error(`${what}: the transaction reverted (${hash})`);
    return receipt;
  }

  return { api, explain, rejected, provider, connect, switchChain, write };
})();
