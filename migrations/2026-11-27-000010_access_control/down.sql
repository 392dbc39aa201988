DROP TABLE staff;
DROP TABLE api_clients;
