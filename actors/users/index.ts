// users — accounts, passwords, addresses and the user information page (a stateless service).
export { UsersService, normalizeEmail, signupRewardPoints, welcomeCouponCode, type UsersDeps, type MeView, type AddressView, type CouponView, type NewAddress, type Authenticated } from './service.ts';
export { hashPassword, verifyPassword } from './password.ts';
export { deliveryCluster } from './region.ts';
