// Prefixes of the item ids and change keys the tenant hands out, as Exchange's look.

export const ITEM_ID_PREFIX = "AAkALgAAAAAAHYQDEapmEc2byACqAC-EWg0A";

export const CHANGE_KEY_PREFIX = "CQAAABYAAAA";
