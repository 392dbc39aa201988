DROP TABLE special_payments;
