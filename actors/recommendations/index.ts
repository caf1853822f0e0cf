// recommendations — item-to-item collaborative filtering trained from the event streams
// (the trainer singleton), the related and per-user lists it keeps in Redis, "not
// interested" feedback, and what the gateway serves from them.
export { RecKeys } from './keys.ts';
export { RecReader } from './read.ts';
export { RecModel, similar, scoreForUser } from './derive.ts';
export { recommendationsTrainer, type TrainerDeps } from './trainer.ts';
export { clickTrainingOps, orderTrainingOps, searchTrainingOps, decay, interest, SESSION_MS, HALF_LIFE_MS } from './training.ts';
export { FeedbackService, type FeedbackDeps } from './feedback.ts';
export { RecommendationsApi, type RecommendationsApiDeps, type ProductCard, type RecommendedProduct } from './api.ts';
export { inHiddenCategory, parseHidden, relatedOrder, type Hidden, type RelatedList, type UserRecs } from './model.ts';
