-- A balance of reward points is a BIGINT, as the orders' totals are. One of the largest
-- orders the API takes (200 lines of 10 units at the highest price) earns 2,000,000,000
-- points; a second one took the balance past INT's 2,147,483,647, and the move to `paid`
-- failed with "Out of range value" after the stock was committed (a 500 on pay).
ALTER TABLE users MODIFY reward_points BIGINT NOT NULL DEFAULT 0;
