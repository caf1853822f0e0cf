// The ISO 4217 currency codes in use (List One, 2025, with the funds and the X codes), for
// checking prices, coupons and report filters: "ABC" had passed the three-capitals test.
import { z } from 'zod/v4';

const codes = `
AED AFN ALL AMD ANG AOA ARS AUD AWG AZN
BAM BBD BDT BGN BHD BIF BMD BND BOB BOV BRL BSD BTN BWP BYN BZD
CAD CDF CHE CHF CHW CLF CLP CNY COP COU CRC CUP CVE CZK
DJF DKK DOP DZD
EGP ERN ETB EUR
FJD FKP
GBP GEL GHS GIP GMD GNF GTQ GYD
HKD HNL HTG HUF
IDR ILS INR IQD IRR ISK
JMD JOD JPY
KES KGS KHR KMF KPW KRW KWD KYD KZT
LAK LBP LKR LRD LSL LYD
MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN
NAD NGN NIO NOK NPR NZD
OMR
PAB PEN PGK PHP PKR PLN PYG
QAR
RON RSD RUB RWF
SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL
THB TJS TMT TND TOP TRY TTD TWD TZS
UAH UGX USD USN UYI UYU UYW UZS
VED VES VND VUV
WST
XAF XAG XAU XBA XBB XBC XBD XCD XCG XDR XOF XPD XPF XPT XSU XTS XUA XXX
YER
ZAR ZMW ZWG
`;

export const isoCurrencies: ReadonlySet<string> = new Set(codes.trim().split(/\s+/));

/** A currency field: three capitals that ISO 4217 assigns (USD, EUR, GBP, …). */
export const isoCurrency = z.string().regex(/^[A-Z]{3}$/, 'an ISO 4217 code such as USD')
  .refine((c) => isoCurrencies.has(c), 'not an ISO 4217 currency code (e.g. USD, EUR, GBP)');
