"""Reference tables shipped with the validators (a package so that wheels include the CSV files).

See README.md here for each table's source and licence; read them through
:func:`schemas.data_files.read_table`.
"""
