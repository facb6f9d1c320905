FLASK_APP={{ cookiecutter.package_name }}
