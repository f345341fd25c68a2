// The part of viem the pages use, bundled by tools/setup.sh into flexunity/web/static/vendor/viem.js
// (an IIFE defining window.viem): pages need no CDN and no build step at run time.
export {
  createPublicClient,
  createWalletClient,
  custom,
  decodeEventLog,
  encodeAbiParameters,
  formatUnits,
  getAddress,
  hexToBytes,
  isAddress,
  keccak256,
  numberToHex,
  parseUnits,
  toHex,
} from "viem";
